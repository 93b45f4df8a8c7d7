"""gui layer of Live Updates (see DESIGN.md)."""
