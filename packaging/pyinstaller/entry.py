"""The bundle's entry point: the same as the ``live-updates`` command."""

import sys

from widget.cli import main

if __name__ == "__main__":
    sys.exit(main())
