"""``python -m widget`` is the same as the ``live-updates`` command.

With ``SERVICE_ARG`` first (the frozen app starts its poll process that way) it serves one poll
for the tray app instead, before anything of the command line or the GUI is imported.
"""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "--live-updates-poll-process":  # protocol.SERVICE_ARG
    from widget.engine.worker import main as serve_poll

    sys.exit(serve_poll())

from widget.cli import main

sys.exit(main())
