"""Install Rocket.Chat's published query parser and validator for the differential self-test.

    python tests/selftest/contract/rocketchat_validator/install.py [CACHE_DIR]

CACHE_DIR (default: $RC_VALIDATOR_CACHE, else ~/.cache/rc-contract/rocketchat-validator)
is outside git. It gets `npm ci` of this directory's package-lock.json (qs at each
version the server's range allows, ajv, ajv-formats) and the @rocket.chat/rest-typings
and core-typings tarballs of packages.json by `npm pack` (a full install of them does not
resolve: their dependencies use yarn's patch: protocol), integrity checked and unpacked.
A stamp makes a second call a no-op. Exit 0 when ready, 1 with one line when not.
Standard library only: .ci/run calls it before the suite's own environment exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFESTS = ("package.json", "package-lock.json", "packages.json")
STAMP = "installed.json"


def default_cache() -> Path:
    configured = os.environ.get("RC_VALIDATOR_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rc-contract" / "rocketchat-validator"


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def ready(cache: Path) -> bool:
    try:
        return json.loads((cache / STAMP).read_text())["fingerprint"] == fingerprint()
    except (OSError, ValueError, KeyError):
        return False


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    done = subprocess.run([npm, *args, "--no-audit", "--no-fund", "--loglevel=error"], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"npm {args[0]} failed: {last}")
    return done.stdout


def _pack(spec: str, integrity: str, into: Path, scratch: Path) -> None:
    packed = json.loads(_npm("pack", spec, "--json", "--pack-destination", str(scratch), cwd=scratch))
    entry = packed[0]
    if entry["integrity"] != integrity:
        raise RuntimeError(f"{spec}: integrity {entry['integrity']} is not packages.json's {integrity}")
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(scratch / entry["filename"]) as archive:
        try:
            archive.extractall(into, filter="data")
        except TypeError:  # Python 3.11 before 3.11.4: no extraction filters
            archive.extractall(into)  # an integrity-checked npm tarball


def install(cache: Path) -> None:
    if ready(cache):
        return
    if shutil.which("node") is None:
        raise RuntimeError("node is not installed")
    packages = json.loads((HERE / "packages.json").read_text())
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, cache / name)
    _npm("ci", "--ignore-scripts", cwd=cache)
    with tempfile.TemporaryDirectory() as scratch:
        for version, entry in packages["rest_typings"].items():
            _pack(f"@rocket.chat/rest-typings@{version}", entry["integrity"],
                  cache / "rest-typings" / version, Path(scratch))
        core = packages["core_typings"]
        _pack(f"@rocket.chat/core-typings@{core['version']}", core["integrity"],
              cache / "core-typings" / core["version"], Path(scratch))
    (cache / STAMP).write_text(json.dumps({"fingerprint": fingerprint()}))


def main(argv: list[str]) -> int:
    cache = Path(argv[1]) if len(argv) > 1 else default_cache()
    try:
        install(cache)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as error:
        print(f"rocketchat validator: not installed in {cache}: {error}", file=sys.stderr)
        return 1
    print(f"rocketchat validator: ready in {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
