"""notify layer of Live Updates (see DESIGN.md)."""
