"""gui layer of Live Updates (see DESIGN.md): the only place widgets live."""
