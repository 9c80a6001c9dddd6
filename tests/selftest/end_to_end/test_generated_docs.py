"""README.md and docs/ carry tables copied from the project's data: they must not drift.

tools/generate_docs.py renders the settings table (settings.py), the known releases
(spec/versions.yaml) and the reference server's faults and variants (as registered in
reference/faults/ and reference/variant_behaviours.py); a new setting, version, fault or
variant fails this test until the tables are written again with `python tools/generate_docs.py --write`.
"""

from __future__ import annotations

import importlib.util

import pytest

from rc_contract.configuration.paths import project_root
from rc_contract.configuration.settings import SETTINGS

ROOT = project_root()
_spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "tools" / "generate_docs.py")
generate_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_docs)

CASES = [(path, name) for path, tables in generate_docs.TABLES.items() for name in tables]


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p}:{n}" for p, n in CASES])
def test_the_generated_table_matches_its_source(path: str, name: str) -> None:
    text = (ROOT / path).read_text()
    _, drifted = generate_docs.render(text, {name: generate_docs.TABLES[path][name]})
    assert not drifted, f"{path}: the {name} table differs from its source; run {generate_docs.COMMAND}"


def test_a_changed_source_is_seen() -> None:
    """The check itself can fail: a table one row short is drift."""
    text = (ROOT / "README.md").read_text()
    shortened = "\n".join(line for line in text.splitlines() if "`RC_TIMEOUT`" not in line) + "\n"
    _, drifted = generate_docs.render(shortened, {"settings": generate_docs.settings_table})
    assert drifted == ["settings"]


def test_every_setting_is_in_the_readme() -> None:
    text = (ROOT / "README.md").read_text()
    missing = [env for env in SETTINGS if f"`{env}`" not in text]
    assert not missing, f"README.md does not name {missing}; run {generate_docs.COMMAND}"


def test_the_readme_commands_are_the_ones_ci_runs() -> None:
    """The README's two commands, .ci/run and tox.ini say the same thing."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    tox = (ROOT / "tox.ini").read_text()
    for command in ("python -m tox -e contract", "python -m tox -e lint,selftest"):
        assert f"python -m pip install tox && {command}" in readme, command
        assert command in ci, f".ci/run no longer runs {command!r}: keep it and the README in step"
    for env in ("contract", "selftest", "lint"):
        assert f"[testenv:{env}]" in tox
    assert "rc-contract run" in tox.split("[testenv:contract]")[1].split("[testenv:")[0]
