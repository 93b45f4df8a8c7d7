"""The update engine, free of Qt: the poll cycle (``poll``), one source's fetch and parse
(``fetching``), secrets read without holding the poll (``credentials``) and recording outcomes
in the store (``record``). The tray app and the
``live-updates`` command are its clients; the tray app runs each poll in a short-lived child
process. Import the module that defines a name (``widget.engine.poll.Engine``): this package
re-exports nothing, so the tray app's light modules (``status``) never load the fetch stack."""
