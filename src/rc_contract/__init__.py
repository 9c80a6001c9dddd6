"""Contract conformance suite for Rocket.Chat GET /api/v1/livechat/visitors.info.

Entry points here (cli, plugin, run); the phases in the order data flows: configuration,
target, objects, contract, reports; reference is the bundled server.
"""

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    """The installed distribution's version; pyproject.toml is its single source."""
    try:
        return version("rc-contract")
    except PackageNotFoundError:  # a checkout imported without being installed (PYTHONPATH=src)
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


__version__ = _version()
