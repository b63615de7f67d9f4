"""Allow ``python -m licensing.client``."""

import sys

from licensing.client.cli import main

sys.exit(main())
