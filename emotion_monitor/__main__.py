"""``python -m emotion_monitor``: the same as the ``emotion-monitor`` command."""

import sys

from .cli import main

sys.exit(main())
