"""The settings dialog: its pages, the sources table and editor, the URL probe, and its host."""
