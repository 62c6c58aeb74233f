#!/usr/bin/env python3
"""Entry point: `python translate.py --help`. All logic lives in l10n.cli."""

import sys

from l10n.cli import main

if __name__ == "__main__":
    sys.exit(main())
