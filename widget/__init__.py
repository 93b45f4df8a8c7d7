"""Live Updates: follow live blogs and feeds from the system tray.

Importing this package does nothing but define its version.
"""

__version__ = "0.1.0"

APP_NAME = "Live Updates"
APP_SLUG = "live-updates"
APP_ID = "io.github.live_updates_widget.LiveUpdates"
PROJECT_URL = "https://github.com/live-updates-widget/live-updates-widget"
USER_AGENT = f"LiveUpdates/{__version__} (+{PROJECT_URL})"
