"""``python -m rc_contract``: the same as the ``rc-contract`` command."""

import sys

from rc_contract.commands.run import main

sys.exit(main())
