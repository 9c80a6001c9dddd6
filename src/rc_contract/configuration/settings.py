"""Configuration: design.md's environment variables and pytest options.

Options override environment variables. Every problem is a ``ConfigError``
whose message names what is wrong and how to fix it; the plugin turns it into
exit code 4 before any test runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from rc_contract.releases import emulated
from rc_contract.versions import RCVersion, VersionError

DEFAULT_FUZZ_EXAMPLES = 50
# Schemathesis' own default; with the breaker a hanging server ends a run in under 30 s.
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_TIME_BUDGET_S = 180.0  # a CI job's few minutes; only a rate-limited server needs it
DEFAULT_REPORT_DIR = "reports"
DEFAULT_REFERENCE_VERSION = "9.0.0"
# The bundled reference server's limiter: off, Rocket.Chat's order, or PR #41970's.
REFERENCE_LIMITER = ("off", "on", "before-permission")


class ConfigError(Exception):
    """Bad or missing configuration: one line, what is wrong and how to fix it."""


@dataclass(frozen=True)
class Setting:
    env: str
    option: str
    help: str


# The names are fixed by design.md: other tools drive the suite through them.
SETTINGS: dict[str, Setting] = {
    s.env: s
    for s in (
        Setting("RC_URL", "--rc-url", "server base URL; unset: the bundled reference server"),
        Setting("RC_USER", "--rc-user", "account holding view-l-room (and create-user, delete-user)"),
        Setting("RC_PASSWORD", "--rc-password", "password of RC_USER"),
        Setting("RC_USER_ID", "--rc-user-id", "user id of a personal access token"),
        Setting("RC_AUTH_TOKEN", "--rc-auth-token", "personal access token (instead of a password)"),
        Setting("RC_UNPRIVILEGED_USER", "--rc-unprivileged-user",
                "an existing user without view-l-room; unset: one is created and deleted"),
        Setting("RC_UNPRIVILEGED_PASSWORD", "--rc-unprivileged-password",
                "password of RC_UNPRIVILEGED_USER"),
        Setting("RC_AGENT_USER", "--rc-agent-user",
                "an existing user holding view-l-room without an admin or livechat-manager role "
                "(a livechat-agent); unset: one is created and deleted when the account may"),
        Setting("RC_AGENT_PASSWORD", "--rc-agent-password", "password of RC_AGENT_USER"),
        Setting("RC_EXTERNAL_IDS_VISITOR", "--rc-external-ids-visitor",
                "id of a visitor known to carry externalIds"),
        Setting("RC_SERVER_VERSION", "--rc-server-version", "skip version detection"),
        Setting("RC_CONTRACT_VERSION", "--rc-contract-version",
                "judge the server by this version's contract (upgrade check)"),
        Setting("RC_FUZZ_EXAMPLES", "--rc-fuzz-examples",
                f"generated cases for VI-FUZZ (default {DEFAULT_FUZZ_EXAMPLES})"),
        Setting("RC_REPORT_DIR", "--rc-report-dir", f"default {DEFAULT_REPORT_DIR}/"),
        Setting("RC_TIMEOUT", "--rc-timeout",
                f"seconds to wait for each answer (default {DEFAULT_TIMEOUT_S:.0f})"),
        Setting("RC_TIME_BUDGET", "--rc-time-budget",
                "seconds a run may take on a rate-limited server; fuzzing is sized to fit "
                f"(default {DEFAULT_TIME_BUDGET_S:.0f})"),
        Setting("RC_REFERENCE_VERSION", "--rc-reference-version",
                f"version the bundled reference server emulates (default {DEFAULT_REFERENCE_VERSION})"),
        Setting("RC_REFERENCE_FAULTS", "--rc-reference-faults",
                "comma-separated faults of the bundled reference server (self-tests)"),
        Setting("RC_REFERENCE_VARIANTS", "--rc-reference-variants",
                "comma-separated legitimate variants of the bundled reference server"),
        Setting("RC_REFERENCE_LIMITER", "--rc-reference-limiter",
                "the bundled reference server's rate limiter: off (default), on (Rocket.Chat's "
                "order) or before-permission (PR #41970); the run then uses a livechat-agent "
                "account, as a CI job without the bypass would"),
    )
}


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    user_id: str | None = None
    auth_token: str | None = field(default=None, repr=False)

    @property
    def secret(self) -> str:
        """The secret the account is identified by (keys the visitor-token derivation)."""
        return self.password or self.auth_token or ""


@dataclass(frozen=True)
class Settings:
    url: str | None
    credentials: Credentials
    unprivileged: Credentials | None
    external_ids_visitor: str | None
    server_version: RCVersion | None
    contract_version: RCVersion | None
    fuzz_examples: int
    report_dir: Path
    reference_version: RCVersion
    reference_faults: tuple[str, ...]
    reference_limiter: str = "off"
    timeout_s: float = DEFAULT_TIMEOUT_S
    reference_variants: tuple[str, ...] = ()
    # user and password from RC_URL's userinfo (removed from ``url``): HTTP basic auth.
    url_auth: tuple[str, str] | None = field(default=None, repr=False)
    time_budget_s: float = DEFAULT_TIME_BUDGET_S
    # An existing livechat-agent (VI-PERM-403's other half); None: created when possible.
    agent: Credentials | None = None

    @property
    def uses_reference(self) -> bool:
        return self.url is None

    def secrets(self) -> list[str]:
        found = [self.credentials.password, self.credentials.auth_token]
        if self.url_auth:
            found.append(self.url_auth[1])
        if self.unprivileged:
            found.append(self.unprivileged.password)
        if self.agent:
            found.append(self.agent.password)
        return [s for s in found if s]


def _version(name: str, value: str | None) -> RCVersion | None:
    if value is None:
        return None
    try:
        return RCVersion.parse(value)
    except VersionError:
        raise ConfigError(
            f"{name}={value!r} is not a version; use MAJOR.MINOR.PATCH[-PRERELEASE], "
            f"e.g. {name}=8.5.2 or {name}=9.0.0-rc.3"
        ) from None


def _reference_version(value: str) -> RCVersion:
    """A version the bundled reference server emulates (``8.5`` is the line's newest patch)."""
    try:
        return emulated(value)
    except ValueError as exc:
        raise ConfigError(
            f"RC_REFERENCE_VERSION={value!r} is not emulated by the bundled server: {exc}"
        ) from None


def names(value: str | None) -> tuple[str, ...]:
    """RC_REFERENCE_FAULTS' and RC_REFERENCE_VARIANTS' comma-separated names, for a run and for
    `rc-contract serve` alike (the reference server checks them against its catalogues)."""
    return tuple(n.strip() for n in (value or "").split(",") if n.strip())


def reference_limiter(value: str | None) -> str:
    """RC_REFERENCE_LIMITER, for a run and for `rc-contract serve` alike: one of
    REFERENCE_LIMITER (``after-permission``, Rocket.Chat's order, is ``on``)."""
    limiter = (value or "off").strip().lower()
    limiter = "on" if limiter == "after-permission" else limiter
    if limiter not in REFERENCE_LIMITER:
        raise ConfigError(
            f"RC_REFERENCE_LIMITER={value!r} is not one of "
            f"{', '.join(REFERENCE_LIMITER)}; e.g. RC_REFERENCE_LIMITER=before-permission"
        )
    return limiter


def split_userinfo(value: str) -> tuple[str, tuple[str, str] | None]:
    """``https://user:pw@host`` -> (``https://host``, (user, pw)); the password never travels
    in the URL that the reports, the ledger and the terminal show."""
    parts = urlsplit(value)
    if "@" not in parts.netloc:
        return value, None
    host = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username or ""), unquote(parts.password or ""))


def _url(value: str) -> str:
    """The base URL, validated (``value`` has no userinfo: see ``split_userinfo``)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"RC_URL={value!r} is not an http(s) URL; set it to the server's base URL, "
            "e.g. RC_URL=https://chat.example.com"
        )
    if parts.path.rstrip("/").endswith("/api") or "/api/" in parts.path:
        raise ConfigError(
            f"RC_URL={value!r} points into the API; give the server's base URL without /api"
        )
    return value.rstrip("/")


def _seconds(name: str, value: str | None, default: float, most: float) -> float:
    """A number of seconds in (0, most]; unset: the default."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= most:
        raise ConfigError(
            f"{name}={value!r} is not a number of seconds between 0 and {most:.0f}; "
            f"set it e.g. {name}={default:.0f}"
        )
    return seconds


def _credentials(values: Mapping[str, str | None],
                 url_auth: tuple[str, str] | None = None) -> Credentials:
    user, password = values.get("RC_USER"), values.get("RC_PASSWORD")
    user_id, token = values.get("RC_USER_ID"), values.get("RC_AUTH_TOKEN")
    if url_auth and all(url_auth) and not (user or password or user_id or token):
        # https://user:password@host and nothing else: that account logs in.
        user, password = url_auth
    if user and not password:
        raise ConfigError("RC_USER is set but RC_PASSWORD is not; set the account's password")
    if password and not user:
        raise ConfigError("RC_PASSWORD is set but RC_USER is not; set the account's username")
    if bool(user_id) != bool(token):
        raise ConfigError(
            "a personal access token needs both RC_USER_ID and RC_AUTH_TOKEN; set both"
        )
    if not user and not user_id:
        raise ConfigError(
            "RC_URL is set but no credentials are; set RC_USER and RC_PASSWORD "
            "(or RC_USER_ID and RC_AUTH_TOKEN) for an account holding view-l-room"
        )
    return Credentials(user=user, password=password, user_id=user_id, auth_token=token)


# Settings that only mean something for a server of one's own (RC_URL).
_NEED_URL = ("RC_USER", "RC_PASSWORD", "RC_USER_ID", "RC_AUTH_TOKEN", "RC_UNPRIVILEGED_USER",
             "RC_UNPRIVILEGED_PASSWORD", "RC_AGENT_USER", "RC_AGENT_PASSWORD",
             "RC_EXTERNAL_IDS_VISITOR")


def _no_settings_without_url(values: Mapping[str, str | None], options: Mapping[str, str | None],
                             environ: Mapping[str, str]) -> None:
    """Credentials without RC_URL would run a silent green run against the bundled server."""
    given = [name for name in _NEED_URL if values[name]]
    if not given:
        return
    raw = options.get("RC_URL")
    raw = environ.get("RC_URL") if raw is None else raw
    state = "is empty" if raw is not None else "is not set"
    raise ConfigError(
        f"{', '.join(given)} given but RC_URL {state}: the run would test the bundled reference "
        "server, not yours; set RC_URL to your server's base URL (or unset "
        f"{'them' if len(given) > 1 else given[0]} to use the reference server)"
    )


def _given_account(values: dict[str, str | None], prefix: str, otherwise: str) -> Credentials | None:
    """An existing account named by <prefix>_USER and <prefix>_PASSWORD: both or neither."""
    user, password = values[f"{prefix}_USER"], values[f"{prefix}_PASSWORD"]
    if not (user or password):
        return None
    if not (user and password):
        raise ConfigError(f"set both {prefix}_USER and {prefix}_PASSWORD, or neither (then {otherwise})")
    return Credentials(user=user, password=password)


def resolve(options: Mapping[str, str | None], environ: Mapping[str, str] | None = None) -> Settings:
    """Merge options (keyed by env name) over the environment and validate."""
    environ = os.environ if environ is None else environ
    values: dict[str, str | None] = {}
    for name in SETTINGS:
        value = options.get(name)
        if value is None:
            value = environ.get(name)
        values[name] = value if value not in (None, "") else None

    url, url_auth = None, None
    if values["RC_URL"]:
        clean, url_auth = split_userinfo(values["RC_URL"])
        url = _url(clean)
    if url is None:
        _no_settings_without_url(values, options, environ)
    credentials = _credentials(values, url_auth) if url else Credentials()

    unprivileged = _given_account(
        values, "RC_UNPRIVILEGED", "a user with role 'user' is created for the run and deleted after it")
    agent = _given_account(
        values, "RC_AGENT", "a user with role 'livechat-agent' is created for the run and deleted "
        "after it, if the account may create users")

    fuzz_text = values["RC_FUZZ_EXAMPLES"] or str(DEFAULT_FUZZ_EXAMPLES)
    if not fuzz_text.isdigit() or int(fuzz_text) < 1:
        raise ConfigError(
            f"RC_FUZZ_EXAMPLES={fuzz_text!r} is not a positive whole number; "
            "set the number of generated cases, e.g. RC_FUZZ_EXAMPLES=100"
        )

    reference = _reference_version(values["RC_REFERENCE_VERSION"] or DEFAULT_REFERENCE_VERSION)
    faults = names(values["RC_REFERENCE_FAULTS"])
    if faults and url:
        raise ConfigError(
            "RC_REFERENCE_FAULTS only applies to the bundled reference server; unset RC_URL "
            "or RC_REFERENCE_FAULTS"
        )

    variants = names(values["RC_REFERENCE_VARIANTS"])
    if variants and url:
        raise ConfigError(
            "RC_REFERENCE_VARIANTS only applies to the bundled reference server; unset RC_URL "
            "or RC_REFERENCE_VARIANTS"
        )

    limiter = reference_limiter(values["RC_REFERENCE_LIMITER"])
    if limiter != "off" and url:
        raise ConfigError(
            "RC_REFERENCE_LIMITER only applies to the bundled reference server; unset RC_URL "
            "or RC_REFERENCE_LIMITER"
        )

    return Settings(
        reference_variants=variants,
        reference_limiter=limiter,
        timeout_s=_seconds("RC_TIMEOUT", values["RC_TIMEOUT"], DEFAULT_TIMEOUT_S, 3600),
        time_budget_s=_seconds("RC_TIME_BUDGET", values["RC_TIME_BUDGET"], DEFAULT_TIME_BUDGET_S,
                               86400),
        url=url,
        credentials=credentials,
        unprivileged=unprivileged,
        agent=agent,
        external_ids_visitor=values["RC_EXTERNAL_IDS_VISITOR"],
        server_version=_version("RC_SERVER_VERSION", values["RC_SERVER_VERSION"]),
        contract_version=_version("RC_CONTRACT_VERSION", values["RC_CONTRACT_VERSION"]),
        fuzz_examples=int(fuzz_text),
        report_dir=Path(values["RC_REPORT_DIR"] or DEFAULT_REPORT_DIR),
        reference_version=reference,
        reference_faults=faults,
        url_auth=url_auth,
    )


def check_report_dir(directory: Path) -> None:
    """The reports and the ledger must be writable before anything is created on a server."""
    probe = directory / ".rc-contract-write-test"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_text("", "utf-8")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"RC_REPORT_DIR={str(directory)!r} is not a directory the suite can write to "
            f"({exc.strerror or type(exc).__name__}); set RC_REPORT_DIR to a writable directory"
        ) from None
