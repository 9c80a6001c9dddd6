"""The CI recipes of examples/: valid files, and every command they run exists here.

They cannot run here (no Docker engine), so this checks what can be checked
without one: the YAML parses and has the structure each CI system needs, the
rc-contract subcommands, tox environments, scripts and RC_* settings they use
exist in the project, and the shell scripts work against the reference server
(standing in for the Rocket.Chat container).
"""

from __future__ import annotations

import configparser
import inspect
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from rc_contract import cli
from rc_contract import compare as cmp
from rc_contract.config import SETTINGS
from rc_contract.paths import project_root
from rc_contract.reference import ReferenceServer

from .runner import run_suite

ROOT = project_root()
EXAMPLES = ROOT / "examples"
RECIPES = ("github-actions.yml", "gitlab-ci.yml", "docker-compose.yml")
RC_IMAGE = "registry.rocket.chat/rocketchat/rocket.chat:"
SCRIPTS = ("wait-for-rocketchat.sh", "create-ci-account.sh")


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    assert isinstance(data, dict), name
    return data


def _shell_lines(value: Any) -> Iterator[str]:
    """Every shell command line of a recipe (run:, script:, command:)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("run", "script", "command"):
                text = " ".join(item) if key == "command" and isinstance(item, list) else item
                items = text if isinstance(text, list) else [text]
                for entry in items:
                    yield from str(entry).replace("\\\n", " ").splitlines()
            else:
                yield from _shell_lines(item)
    elif isinstance(value, list):
        for item in value:
            yield from _shell_lines(item)


def _commands(line: str) -> Iterator[list[str]]:
    for part in re.split(r"&&|\|\||\||;", line):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        if words:
            yield words


def _tox_envs() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "tox.ini")
    return {s.removeprefix("testenv:") for s in parser.sections() if s.startswith("testenv:")}


def _cli_commands() -> set[str]:
    source = inspect.getsource(cli.main)
    dispatched = set(re.findall(r'command == "([a-z-]+)"', source))
    documented = set(re.findall(r"rc-contract ([a-z-]+)", cli.USAGE))
    return dispatched & documented


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_commands_exist_in_the_project(name: str) -> None:
    data = _load(name)
    seen = {"tox": 0, "script": 0}
    for line in _shell_lines(data):
        for words in _commands(line):
            if words[0] == "rc-contract":
                assert words[1] in _cli_commands(), f"{name}: rc-contract {words[1]} does not exist"
                if words[1] == "compare":
                    # Valid options: the inputs are missing here, so 2 from compare, not argparse.
                    assert cmp.main(words[2:]) == cmp.EXIT_UNREADABLE
            if "tox" in words and "-e" in words:
                envs = words[words.index("-e") + 1].split(",")
                assert set(envs) <= _tox_envs(), f"{name}: tox env {envs} not in tox.ini"
                seen["tox"] += 1
            for word in words:
                if word.startswith("examples/"):
                    assert (ROOT / word).is_file(), f"{name}: {word} does not exist"
                    seen["script"] += 1
    assert seen["tox"] >= 1 and seen["script"] >= 2, f"{name} does not run the suite: {seen}"
    # As the README says it: python -m pip install tox && python -m tox -e contract
    assert "python -m pip install tox && python -m tox -e contract" in (EXAMPLES / name).read_text()


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_settings_are_the_suites(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    used = set(re.findall(r"\b(RC_[A-Z_]+)\b", text))
    assert used <= set(SETTINGS), f"{name}: unknown settings {sorted(used - set(SETTINGS))}"
    assert {"RC_URL", "RC_USER", "RC_PASSWORD", "RC_REPORT_DIR"} <= used


def test_github_actions_workflow() -> None:
    data = _load("github-actions.yml")
    assert data.get("on", data.get(True)), "no trigger"
    job = data["jobs"]["contract"]
    versions = job["strategy"]["matrix"]["rocketchat"]
    assert len(versions) >= 2
    services = job["services"]
    assert services["rocketchat"]["image"] == RC_IMAGE + "${{ matrix.rocketchat }}"
    assert "mongo" in services["mongodb"]["image"]
    assert "mongodb:27017" in services["rocketchat"]["env"]["MONGO_URL"]
    for key in ("ADMIN_USERNAME", "ADMIN_PASS", "ADMIN_EMAIL", "OVERWRITE_SETTING_Show_Setup_Wizard"):
        assert key in services["rocketchat"]["env"], key
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == job["env"]["RC_REPORT_DIR"]
    runs = " ".join(s.get("run", "") for s in steps)
    order = [runs.index(w) for w in ("wait-for-rocketchat.sh", "create-ci-account.sh", "tox -e contract")]
    assert order == sorted(order), "wait, create the account, then run the suite"
    compare_job = data["jobs"]["compare"]
    assert compare_job["needs"] == "contract"
    assert {data["env"]["BEFORE_VERSION"], data["env"]["AFTER_VERSION"]} <= set(versions)


def test_gitlab_ci_job() -> None:
    data = _load("gitlab-ci.yml")
    job = data["contract"]
    versions = job["parallel"]["matrix"][0]["ROCKETCHAT_VERSION"]
    assert len(versions) >= 2
    images = {s["alias"]: s["name"] for s in job["services"]}
    assert images["rocketchat"] == RC_IMAGE + "${ROCKETCHAT_VERSION}"
    assert "mongo" in images["mongodb"]
    assert job["variables"]["FF_NETWORK_PER_BUILD"] == "true"
    assert job["variables"]["RC_URL"] == "http://rocketchat:3000"
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"].endswith("junit.xml")
    assert data["compare"]["needs"] == ["contract"]
    assert {data["variables"]["BEFORE_VERSION"], data["variables"]["AFTER_VERSION"]} <= set(versions)


def test_docker_compose_file() -> None:
    data = _load("docker-compose.yml")
    services = data["services"]
    assert {"mongodb", "rocketchat", "contract"} <= set(services)
    assert services["rocketchat"]["image"].startswith(RC_IMAGE)
    assert services["rocketchat"]["depends_on"]["mongodb"]["condition"] == "service_healthy"
    # Published on loopback only.
    assert all(str(p).startswith("127.0.0.1:") for p in services["rocketchat"]["ports"])
    assert services["contract"]["environment"]["RC_URL"] == "http://rocketchat:3000"


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_are_valid_shell(script: str) -> None:
    assert subprocess.run(["sh", "-n", str(EXAMPLES / script)]).returncode == 0


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("python3")), reason="needs curl and python3")
def test_scripts_prepare_a_server_the_suite_then_passes(tmp_path: Path) -> None:
    """The recipe's steps in order against the reference server, as against the container."""
    admin = "ci-admin-pw-selftest"
    with ReferenceServer(version="8.5.0", admin_password=admin) as server:
        env = {
            "RC_URL": server.url, "ADMIN_USERNAME": "admin", "ADMIN_PASS": admin,
            "RC_USER": "contract-ci", "RC_PASSWORD": "ci pw with 'quotes' \"and\" spaces",
            "RC_UNPRIVILEGED_USER": "contract-ci-unprivileged", "RC_UNPRIVILEGED_PASSWORD": "unpriv-pw-9",
        }
        script_env = {**os.environ, **env, "WAIT_SECONDS": "20"}
        for script in (*SCRIPTS, "create-ci-account.sh"):  # the second creation keeps the users
            done = subprocess.run(["sh", str(EXAMPLES / script)], env=script_env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        assert "exists already: kept" in done.stdout
        result = run_suite(tmp_path, env)
        left = requests.get(f"{server.url}/_reference/objects", timeout=5).json()
    assert result.exit_code == 0, result.stdout[-3000:]
    # The CI account holds view-l-room only: the suite created no user of its own,
    # and removed its visitors.
    assert sorted(u["username"] for u in left["users"]) == ["contract-ci", "contract-ci-unprivileged"]
    assert left["visitors"] == []
    assert admin not in result.stdout and "unpriv-pw-9" not in result.stdout
