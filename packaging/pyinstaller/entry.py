"""The bundle's entry point: the same as the ``live-updates`` command, or, with the hidden first
argument ``protocol.SERVICE_ARG``, the tray app's poll process (checked before anything heavy is
imported)."""

import sys

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--live-updates-poll-process":
        from widget.engine.worker import main as serve_poll

        sys.exit(serve_poll())

    from widget.cli import main

    sys.exit(main())
