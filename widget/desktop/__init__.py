"""Desktop integration: start at login, the app id per platform. No Qt here."""
