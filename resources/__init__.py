"""Icons and samples shipped with Live Updates (installed as ``widget.resources``)."""
