"""The objects a run creates on the server: visitors and a user, the ledger written before each
is created, their clean-up when a run is interrupted, and the sweep of what a dead run left."""
