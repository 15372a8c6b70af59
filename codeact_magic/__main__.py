"""``python -m codeact_magic``: the ``codeact`` command (:mod:`codeact_magic.cli`)."""

import sys

from .cli import main

sys.exit(main())
