"""Where the project's data lives: spec/ and tests/contract/ beside src/."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout holding spec/ (the package is installed editable from it).

    ``RC_CONTRACT_ROOT`` overrides it for an installed copy run elsewhere.
    """
    override = os.environ.get("RC_CONTRACT_ROOT")
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "spec" / "clauses.yaml").is_file():
            return parent
    return Path.cwd()


def spec_dir() -> Path:
    return project_root() / "spec"


BUNDLED_DOCUMENT = "visitors-info.openapi.json"
ENDPOINT = "/api/v1/livechat/visitors.info"
