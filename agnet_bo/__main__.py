"""``python -m agnet_bo`` runs the ``agnet-bo`` command line."""

import sys

from agnet_bo.cli import main

sys.exit(main())
