"""The key-points window: the widget, its model, row layout and drawing, site icons."""
