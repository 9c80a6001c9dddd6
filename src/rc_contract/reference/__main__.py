"""`python -m rc_contract.reference`: run the reference server in the foreground."""

from .cli import serve_main

raise SystemExit(serve_main())
