"""The CI recipes of examples/: valid files, and every command they run exists here.

They cannot run here (no Docker engine), so this checks what can be checked
without one: the YAML parses and has the structure each CI system needs, the
services are the official compose files' (MongoDB as a single-node replica set,
NATS) and agree with each other, the matrix is the newest patch of each line in
support (spec/versions.yaml) and the compare pair the upgrade users face now, the
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
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from rc_contract.commands import compare as cmp
from rc_contract.commands import main as cli
from rc_contract.configuration.paths import project_root
from rc_contract.configuration.settings import SETTINGS
from rc_contract.exit_codes import ExitCode
from rc_contract.reference import ReferenceServer
from rc_contract.releases import load_releases
from rc_contract.versions import RCVersion

from ..helpers import assert_nothing_left
from ..runner import run_suite
from ..servers import left_behind

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
                    assert cmp.main(words[2:]) == ExitCode.UNREADABLE
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


def _in_order(text: str, *words: str) -> bool:
    positions = [text.index(w) for w in words]
    return positions == sorted(positions)


def _upgrade_pair() -> tuple[str, str]:
    """The upgrade users face now: the newest patch of the line before the newest, then the newest."""
    releases = load_releases()
    patches = [line.newest_patch for line in releases.lines if line.newest_patch]
    after = releases.newest
    before = max(v for v in patches if v.line < after.line)
    return str(before), str(after)


def _matrices() -> dict[str, list[str]]:
    github = _load("github-actions.yml")["jobs"]["contract"]["strategy"]["matrix"]["rocketchat"]
    gitlab = _load("gitlab-ci.yml")["contract"]["parallel"]["matrix"][0]["ROCKETCHAT_VERSION"]
    return {"github-actions.yml": github, "gitlab-ci.yml": gitlab}


def _mongo_url(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    assert parts.scheme == "mongodb", url
    return parts.netloc, dict(parse_qsl(parts.query))


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_matrix_is_the_newest_patch_of_each_supported_line(name: str) -> None:
    versions = _matrices()[name]
    lines = load_releases().lines
    in_support = {str(x.newest_patch) for x in lines if x.support == "in support"}
    leaving = {str(x.newest_patch) for x in lines if x.support not in ("in support", "ended")}
    assert in_support <= set(versions), f"{name}: lines in support missing: {in_support - set(versions)}"
    assert set(versions) <= in_support | leaving, f"{name}: not a supported newest patch: {versions}"
    assert versions == sorted(versions, key=RCVersion.parse), name
    text = (EXAMPLES / name).read_text()
    for version in leaving:  # a line about to leave support: named, for those who still run it
        assert f'"{version}"' in text, f"{name} does not mention {version}"


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_compare_pair_is_the_upgrade_users_face(name: str) -> None:
    data = _load(name)
    pair = data["env"] if "env" in data else data["variables"]
    before, after = _upgrade_pair()
    assert (pair["BEFORE_VERSION"], pair["AFTER_VERSION"]) == (before, after)
    assert {before, after} <= set(_matrices()[name])


def test_github_actions_workflow() -> None:
    data = _load("github-actions.yml")
    compose = _load("docker-compose.yml")["services"]
    assert data.get("on", data.get(True)), "no trigger"
    job = data["jobs"]["contract"]
    # Service containers take no command, so they cannot start MongoDB as a replica set:
    # the stack comes from the compose file, at the matrix version.
    assert "services" not in job
    env = job["env"]
    assert env["ROCKETCHAT_VERSION"] == "${{ matrix.rocketchat }}"
    # The compose file's first admin is the one the account script logs in as.
    accounts = compose["rocketchat"]["environment"]
    assert env["ADMIN_USERNAME"] == accounts["ADMIN_USERNAME"]
    assert accounts["ADMIN_PASS"].startswith("${CONTRACT_CI_PASSWORD:-")
    assert env["ADMIN_PASS"] == env["CONTRACT_CI_PASSWORD"]
    # The runner reaches Rocket.Chat where the compose file publishes it (loopback).
    assert env["RC_URL"] == "http://127.0.0.1:3000"
    assert "127.0.0.1:3000:3000" in compose["rocketchat"]["ports"]
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == env["RC_REPORT_DIR"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert _in_order(
        runs, "docker compose -f examples/docker-compose.yml up -d rocketchat",
        "wait-for-rocketchat.sh", "create-ci-account.sh", "tox -e contract",
    ), "start, wait, create the accounts, then run the suite"
    # Torn down, volumes too, whatever happened; as the last step.
    assert steps[-1]["run"] == "docker compose -f examples/docker-compose.yml down -v"
    assert steps[-1]["if"] == "always()"
    compare_job = data["jobs"]["compare"]
    assert compare_job["needs"] == "contract" and compare_job["if"] == "always()"
    download = next(s for s in compare_job["steps"] if s.get("uses", "").startswith("actions/download-"))
    assert download["with"]["pattern"] == "rc-contract-*"
    assert upload["with"]["name"] == "rc-contract-${{ matrix.rocketchat }}"
    compare_step = next(s for s in compare_job["steps"] if "rc-contract compare" in s.get("run", ""))
    assert compare_step["shell"] == "bash"  # pipefail: compare's exit code survives tee
    assert '"reports/rc-contract-$BEFORE_VERSION" "reports/rc-contract-$AFTER_VERSION"' in compare_step["run"]
    assert 'tee -a "$GITHUB_STEP_SUMMARY"' in compare_step["run"]


def test_gitlab_ci_job() -> None:
    data = _load("gitlab-ci.yml")
    job = data["contract"]
    services = {s["alias"]: s for s in job["services"]}
    assert services["rocketchat"]["name"] == RC_IMAGE + "${ROCKETCHAT_VERSION}"
    # The official compose file's services; GitLab services take a command.
    assert services["mongodb"]["name"] == "docker.io/mongodb/mongodb-community-server:8.2-ubi8"
    assert services["mongodb"]["entrypoint"] == ["mongod"]
    assert services["mongodb"]["command"] == ["--replSet", "rs0", "--bind_ip_all"]
    assert services["nats"]["name"] == "docker.io/nats:2.11-alpine"
    assert services["nats"]["command"] == ["--http_port", "8222"]
    rocketchat = services["rocketchat"]["variables"]
    host, query = _mongo_url(rocketchat["MONGO_URL"])
    # directConnection: Rocket.Chat connects before the set is initiated.
    assert (host, query) == ("mongodb:27017", {"replicaSet": "rs0", "directConnection": "true"})
    assert rocketchat["TRANSPORTER"] == "monolith+nats://nats:4222"
    for key in ("ADMIN_USERNAME", "ADMIN_PASS", "ADMIN_EMAIL", "OVERWRITE_SETTING_Show_Setup_Wizard"):
        assert key in rocketchat, key
    variables = job["variables"]
    assert variables["FF_NETWORK_PER_BUILD"] == "true"
    assert variables["RC_URL"] == "http://rocketchat:3000"
    # The replica set's one member is the host Rocket.Chat connects to.
    assert variables["MONGO_HOST"] == host
    script = "\n".join(job["script"])
    assert _in_order(
        script, "pip install \"pymongo", "init-replica-set.py",
        "wait-for-rocketchat.sh", "create-ci-account.sh", "tox -e contract",
    ), "initiate the replica set, wait, create the accounts, then run the suite"
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"].endswith("junit.xml")
    assert data["compare"]["needs"] == ["contract"] and data["compare"]["when"] == "always"


def test_docker_compose_file() -> None:
    data = _load("docker-compose.yml")
    services = data["services"]
    init = "mongodb-replicaset-init-container"
    assert set(services) == {"mongodb", init, "nats", "rocketchat", "contract"}
    mongo_image = "docker.io/mongodb/mongodb-community-server:${MONGODB_VERSION:-8.2}-ubi8"
    mongodb = services["mongodb"]
    assert mongodb["image"] == services[init]["image"] == mongo_image
    assert (mongodb["entrypoint"], mongodb["command"]) == (["mongod"], ["--replSet", "rs0", "--bind_ip_all"])
    assert "mongosh" in mongodb["healthcheck"]["test"]
    # The one-shot init container makes rs0 a set whose member is the host Rocket.Chat uses.
    assert services[init]["depends_on"]["mongodb"]["condition"] == "service_healthy"
    assert services[init]["restart"] == "on-failure"
    assert services[init]["entrypoint"] == ["mongosh"]
    initiate = " ".join(services[init]["command"])
    assert "rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'mongodb:27017'}]})" in initiate
    assert services["nats"]["image"] == "docker.io/nats:${NATS_VERSION:-2.11-alpine}"
    assert services["nats"]["command"] == ["--http_port", "8222"]
    before, after = _upgrade_pair()
    rocketchat = services["rocketchat"]
    assert rocketchat["image"] == RC_IMAGE + "${ROCKETCHAT_VERSION:-" + after + "}"
    assert rocketchat["depends_on"][init]["condition"] == "service_completed_successfully"
    env = rocketchat["environment"]
    assert _mongo_url(env["MONGO_URL"]) == ("mongodb:27017", {"replicaSet": "rs0"})
    assert env["TRANSPORTER"] == "monolith+nats://nats:4222"
    assert env["DEPLOY_METHOD"] == "docker"
    for key in ("ADMIN_USERNAME", "ADMIN_PASS", "ADMIN_EMAIL", "OVERWRITE_SETTING_Show_Setup_Wizard",
                "OVERWRITE_SETTING_Livechat_enabled"):
        assert key in env, key
    # Only Rocket.Chat is published, on loopback only.
    assert {name for name, s in services.items() if "ports" in s} == {"rocketchat"}
    assert all(str(p).startswith("127.0.0.1:") for p in rocketchat["ports"])
    contract = services["contract"]
    assert contract["environment"]["RC_URL"] == "http://rocketchat:3000"
    assert _in_order(" ".join(contract["command"]), "wait-for-rocketchat.sh", "create-ci-account.sh",
                     "tox -e contract")
    # The header shows the upgrade the CI recipes compare.
    text = (EXAMPLES / "docker-compose.yml").read_text()
    assert f"ROCKETCHAT_VERSION={before} docker compose" in text
    assert f"ROCKETCHAT_VERSION={after} docker compose" in text
    assert f"rc-contract compare reports/rocketchat-{before} reports/rocketchat-{after}" in text


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_are_valid_shell(script: str) -> None:
    assert subprocess.run(["sh", "-n", str(EXAMPLES / script)]).returncode == 0


def test_replica_set_script_is_valid_python() -> None:
    path = EXAMPLES / "init-replica-set.py"
    compile(path.read_text(), str(path), "exec")


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("python3")), reason="needs curl and python3")
def test_scripts_prepare_a_server_the_suite_then_passes(tmp_path: Path) -> None:
    """The recipe's steps in order against the reference server, as against the container."""
    admin = "ci-admin-pw-selftest"
    with ReferenceServer(version="9.0.0", admin_password=admin) as server:
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
        left = left_behind(server)
    assert result.exit_code == 0, result.stdout[-3000:]
    # The CI account holds view-l-room only: the suite created no user of its own,
    # and removed its visitors.
    assert_nothing_left(left, ["contract-ci", "contract-ci-unprivileged"])
    assert admin not in result.stdout and "unpriv-pw-9" not in result.stdout
