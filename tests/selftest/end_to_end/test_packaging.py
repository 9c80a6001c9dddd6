"""The suite as an installed tool: what the wheel carries, where the data is found, isolation.

Building and installing the wheel itself is .ci/run's job (it needs the network);
these checks keep pyproject.toml, paths.py and the run's pytest settings in step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import rc_contract
from rc_contract.configuration import paths
from rc_contract.configuration.paths import project_root

ROOT = project_root()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
BUNDLED = f"rc_contract.{paths.BUNDLED_PROJECT}"


def test_the_checkout_is_the_project_root() -> None:
    assert paths.installed_root() is None, "an editable install carries no bundled copy"
    assert (ROOT / "spec" / "clauses.yaml").is_file()
    assert paths.is_checkout(ROOT)


def test_every_package_under_src_is_in_the_wheel() -> None:
    """The package-dir mapping needs an explicit list: a new package must not be left out."""
    src = ROOT / "src"
    found = {
        ".".join(init.parent.relative_to(src).parts)
        for init in src.rglob("__init__.py") if "__pycache__" not in init.parts
    }
    listed = set(SETUPTOOLS["packages"])
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_wheel_maps_the_single_sources_into_the_package() -> None:
    """spec/ and tests/contract/ are mapped, not copied, under the layout paths.py expects."""
    mapping = SETUPTOOLS["package-dir"]
    for directory in ("spec", "tests/contract"):
        package = f"{BUNDLED}.{directory.replace('/', '.')}"
        assert mapping[package] == directory
        assert package in SETUPTOOLS["packages"]
        assert SETUPTOOLS["package-data"][package] == ["*"], "every file of the folder travels"
        assert not (ROOT / "src" / "rc_contract" / paths.BUNDLED_PROJECT).exists(), "no copy in git"
    manifest = (ROOT / "MANIFEST.in").read_text().splitlines()
    assert {"graft spec", "recursive-include tests/contract *.py"} <= set(manifest), \
        "the sdist builds the wheel"
    contract = [p for p in (ROOT / "tests" / "contract").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts]
    assert all(p.suffix == ".py" for p in contract), "MANIFEST.in takes only *.py from tests/contract"


def test_every_data_directory_under_src_is_a_listed_package() -> None:
    """Data folders (templates) are packages too: setuptools warns about any left out."""
    src = ROOT / "src"
    folders = {
        ".".join(d.relative_to(src).parts) for d in src.rglob("*")
        if d.is_dir() and "__pycache__" not in d.parts and not d.name.endswith(".egg-info")
        and any(f.is_file() for f in d.iterdir())
    }
    assert folders <= set(SETUPTOOLS["packages"]), sorted(folders - set(SETUPTOOLS["packages"]))


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    """A TOML table for `license` stops working in setuptools from 2027-02-18 (PEP 639)."""
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])
    assert any(r.startswith("setuptools>=77") for r in PYPROJECT["build-system"]["requires"])


def test_an_installed_copy_uses_the_data_it_carries(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "site-packages" / "rc_contract"
    spec = package / paths.BUNDLED_PROJECT / "spec"
    spec.mkdir(parents=True)
    (spec / "clauses.yaml").write_text("clauses: []\n")
    monkeypatch.delenv("RC_CONTRACT_ROOT", raising=False)
    monkeypatch.setattr(paths.resources, "files", lambda name: package)
    assert paths.project_root() == (package / paths.BUNDLED_PROJECT).resolve()
    assert paths.spec_dir() == spec.resolve()
    assert not paths.is_checkout(paths.project_root())


def test_the_version_is_the_distribution_version() -> None:
    assert rc_contract.__version__ == PYPROJECT["project"]["version"]
    major, minor, patch = rc_contract.__version__.split(".")
    assert f"## {rc_contract.__version__}" in (ROOT / "CHANGELOG.md").read_text()
    assert all(part.isdigit() for part in (major, minor, patch))


@pytest.fixture
def hostile_directory(tmp_path: Path) -> Path:
    """A team's repository whose pytest settings would break the suite if they reached it."""
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --no-such-option\n")
    (tmp_path / "tox.ini").write_text("[pytest]\naddopts = --no-such-option\n")
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--no-such-option"\n')
    (tmp_path / "conftest.py").write_text("raise SystemExit('the caller conftest.py was loaded')\n")
    return tmp_path


def test_a_run_from_another_directory_ignores_its_pytest_settings(hostile_directory: Path) -> None:
    before = set(os.listdir(hostile_directory))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "PYTEST_"))}
    env["RC_FUZZ_EXAMPLES"] = "5"
    process = subprocess.run(
        [sys.executable, "-m", "rc_contract", "run", "-p", "no:randomly", "--trace-config"],
        cwd=hostile_directory, env=env, capture_output=True, text=True, timeout=180,
    )
    assert process.returncode == 0, (process.stdout + process.stderr)[-2000:]
    # The root conftest.py of the checkout loads the plugin too: pytest registers it once.
    assert process.stdout.count("PLUGIN registered: <module 'rc_contract.plugin'") == 1
    assert set(os.listdir(hostile_directory)) - before == {"reports"}
    assert (hostile_directory / "reports" / "summary.json").is_file()
