"""``python -m widget`` is the same as the ``live-updates`` command."""

import sys

from widget.cli import main

sys.exit(main())
