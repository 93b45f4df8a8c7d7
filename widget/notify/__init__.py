"""Notification backends behind one small interface (see ``base``).

Importing this package imports no backend: ``freedesktop`` needs jeepney (Linux/BSD) and
``systray`` needs Qt, so the GUI imports the ones it builds.
"""
