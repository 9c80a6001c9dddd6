"""Where the project's data lives: spec/ and tests/contract/.

In a checkout (and an editable install) they are the top-level directories
beside src/, the single source. A built wheel or sdist carries them as package
data under ``rc_contract/_project/`` (see ``[tool.setuptools]`` in
pyproject.toml), laid out the same way, so everything below ``project_root()``
(``spec/...``, ``tests/contract/...``, the test ids of the reports) reads the
same in both.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

BUNDLED_PROJECT = "_project"  # the package-data folder of an installed copy


def project_root() -> Path:
    """The directory holding spec/ and tests/contract/.

    ``RC_CONTRACT_ROOT`` overrides it (a checkout used by an installed copy).
    An installed copy uses the data it carries, even when its virtual
    environment sits inside some checkout; an editable install has no bundled
    copy and finds the checkout above the package.
    """
    override = os.environ.get("RC_CONTRACT_ROOT")
    if override:
        return Path(override).resolve()
    bundled = installed_root()
    if bundled is not None:
        return bundled
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "spec" / "clauses.yaml").is_file():
            return parent
    return Path.cwd()


def installed_root() -> Path | None:
    """The bundled copy of spec/ and tests/contract/ in an installed wheel, if any."""
    bundled = resources.files("rc_contract") / BUNDLED_PROJECT
    # Installed wheels are plain directories; a zipped copy could not be run by pytest anyway.
    if isinstance(bundled, Path) and (bundled / "spec" / "clauses.yaml").is_file():
        return bundled.resolve()
    return None


def is_checkout(root: Path) -> bool:
    """Whether ``root`` is a checkout of the suite (its pyproject.toml carries the pytest settings)."""
    return (root / "pyproject.toml").is_file() and (root / "src" / "rc_contract").is_dir()


def spec_dir() -> Path:
    return project_root() / "spec"


BUNDLED_DOCUMENT = "visitors-info.openapi.json"
ENDPOINT = "/api/v1/livechat/visitors.info"
