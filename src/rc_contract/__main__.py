"""``python -m rc_contract``: the same as the ``rc-contract`` command."""

import sys

from rc_contract.commands.main import main

sys.exit(main())
