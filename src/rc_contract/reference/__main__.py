"""`python -m rc_contract.reference`: run the reference server in the foreground."""

from rc_contract.commands.serve import serve_main

raise SystemExit(serve_main())
