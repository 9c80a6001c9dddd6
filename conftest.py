"""Thin on purpose: the suite lives in the rc_contract package; this only loads its plugin."""

pytest_plugins = ["rc_contract.plugin"]
