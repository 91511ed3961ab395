"""``python -m siting …``: the same command line as the ``siting`` script."""

import sys

from siting.cli import main

sys.exit(main())
