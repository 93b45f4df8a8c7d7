"""sources layer of Live Updates (see DESIGN.md)."""
