"""``python -m rc_contract``: the same as the ``rc-contract`` command."""

import sys

from rc_contract.cli import main

sys.exit(main())
