"""The command line: one module per command (run, serve, compare, sweep, prove) and ``main``,
which dispatches to them. The logic they call lives in its layer."""
