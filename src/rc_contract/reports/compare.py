"""``rc-contract compare BEFORE AFTER``: what changed for visitors.info between two runs.

Reads the observations two runs wrote (see :mod:`rc_contract.reports.observations`),
for example staging before and after an upgrade, and lists what changed: visitor
fields removed, added or retyped, statuses, body keys and error texts of the
cases, clauses that changed outcome, and the server's own OpenAPI document of the
endpoint (GET /api/docs/json; never breaking). Each change is classed as breaking or not
and, where the clause catalogue explains it (a changelog line, a key the
contract declares optional), carries that explanation. Only shapes and outcomes
are compared: ids, timestamps, counts, durations, URLs and fuzzing never show.

Exit codes: 0 nothing breaking changed, 1 something breaking changed, 4 an
input could not be read or is a run that did not finish (interrupted, broke
off, could not start; ``--accept-incomplete`` compares what such a run judged).

compare.md, the result in Markdown, is written by :mod:`rc_contract.reports.compare_markdown`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rc_contract.contract import Catalogue, load_catalogue
from rc_contract.contract.judge import FORBIDDEN_VISITOR_KEYS
from rc_contract.contract.server_document import differences
from rc_contract.exit_codes import ExitCode
from rc_contract.reports.observations import OBSERVATIONS_JSON, SCHEMA_VERSION
from rc_contract.versions import RCVersion, VersionError

COMPARE_MD = "compare.md"
COMPARE_JSON = "compare.json"
# Exit codes of a run that finished: every clause judged (held or failed).
FINISHED_EXIT_CODES = (ExitCode.OK, ExitCode.FAILED)
ACCEPT_INCOMPLETE = "--accept-incomplete"
FAILED = "failed"
_CHANGELOG_VERSION = re.compile(r"^\s*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\s*:")


class CompareError(Exception):
    """An input that is not a run's report (one line saying what to do)."""


@dataclass
class Change:
    kind: str  # field-removed|field-added|field-retyped|status|body-key-*|error-text|answers|clause|document
    subject: str
    before: str | None
    after: str | None
    breaking: bool
    clauses: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    documented: list[str] = field(default_factory=list)

    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.kind, self.subject, self.before, self.after)


# -- inputs -------------------------------------------------------------------

def observations_path(given: Path) -> Path:
    """A report directory, its summary.json or its observations.json."""
    if given.is_dir():
        return given / OBSERVATIONS_JSON
    if given.name == OBSERVATIONS_JSON:
        return given
    return given.parent / OBSERVATIONS_JSON


def load(given: Path) -> dict[str, Any]:
    path = observations_path(given)
    if not given.exists():
        raise CompareError(f"{given} does not exist: give a report directory or its summary.json")
    if not path.is_file():
        raise CompareError(
            f"no {OBSERVATIONS_JSON} beside {given}: the run was made by an older suite or did "
            "not start; run the suite again against that server"
        )
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise CompareError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise CompareError(f"{path} is not observations schema version {SCHEMA_VERSION}")
    return data


def check_finished(given: Path) -> None:
    """Refuse a run that did not finish: its unjudged clauses would read as changes."""
    path = observations_path(given).parent / "summary.json"
    try:
        code = json.loads(path.read_text("utf-8")).get("exit_code")
    except (OSError, ValueError, AttributeError):
        code = None
    if code in FINISHED_EXIT_CODES:
        return
    why = {2: "was interrupted", 3: "broke off", 4: "could not start"}.get(
        code, f"has no readable summary.json ({path})" if code is None else f"exited {code}")
    raise CompareError(
        f"{given} is a run that did not finish (it {why}); run the suite again, or pass "
        f"{ACCEPT_INCOMPLETE} to compare what it judged"
    )


def _version(text: str | None) -> RCVersion | None:
    try:
        return RCVersion.parse(text) if text else None
    except VersionError:
        return None


# -- what the catalogue says about a change -----------------------------------

@dataclass(frozen=True)
class Window:
    """The releases an upgrade crosses: (low, high]. Empty when the versions are equal."""

    low: RCVersion | None
    high: RCVersion | None

    @classmethod
    def of(cls, before: dict[str, Any], after: dict[str, Any]) -> Window:
        a, b = _version(before.get("server_version")), _version(after.get("server_version"))
        if a is None or b is None:
            return cls(None, None)
        return cls(min(a, b), max(a, b))

    def crosses(self, version: RCVersion | None) -> bool:
        if version is None or self.low is None or self.high is None:
            return False
        return self.low < version <= self.high


def _changelog_version(text: str, fallback: RCVersion | None) -> RCVersion | None:
    match = _CHANGELOG_VERSION.match(text)
    return RCVersion.parse(match.group(1)) if match else fallback


def _changelogs(catalogue: Catalogue, clause_ids: list[str] | None
                ) -> list[tuple[str, str, RCVersion | None]]:
    """(clause id, text, version) of every changelog line, of the given clauses or all."""
    found = []
    for clause in catalogue.clauses:
        if clause_ids is not None and clause.id not in clause_ids:
            continue
        if clause.changelog:
            found.append((clause.id, clause.changelog,
                          _changelog_version(clause.changelog, clause.versions.lower_bound())))
        for expectation in clause.expectations:
            if expectation.changelog:
                text = " ".join(expectation.changelog.split())
                found.append((clause.id, text,
                              _changelog_version(text, expectation.versions.lower_bound())))
    return found


def explain_name(catalogue: Catalogue, window: Window, name: str,
                 clause_ids: list[str] | None = None) -> list[str]:
    """Changelog lines of releases the upgrade crosses that name ``name`` (in backticks)."""
    return [
        f"{cid} changelog: {text}"
        for cid, text, version in _changelogs(catalogue, clause_ids)
        if window.crosses(version) and f"`{name}`" in text
    ]


def explain_optional(catalogue: Catalogue, version: RCVersion | None, key: str,
                     clause_ids: list[str]) -> list[str]:
    """The clause expectations that declare ``key`` optional on ``version``."""
    if version is None:
        return []
    lines = []
    for cid in clause_ids:
        try:
            expectation = catalogue[cid].expectation(version)
        except (KeyError, LookupError):
            continue
        if key in expectation.optional:
            lines.append(
                f"{cid}: `{key}` is an optional key from {expectation.versions} "
                f"(when present: {expectation.optional[key]!r})"
            )
    return lines


def _last_name(path: str) -> str:
    return re.split(r"\.|\[\]", path.rstrip("[]"))[-1] or path


def _parent(path: str) -> str | None:
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0] if "." in path else None


# -- the comparisons ------------------------------------------------------------

def forbidden_added(path: str, catalogue: Catalogue, version: RCVersion | None) -> list[str]:
    """judge.py's one rule: an added key is not breaking unless the contract forbids it."""
    if not path.startswith("visitor.") or _last_name(path) not in FORBIDDEN_VISITOR_KEYS:
        return []
    clause = catalogue["VI-TOKEN-ABSENT"]
    if version is None or not clause.applies_to(version):
        return []
    return [f"VI-TOKEN-ABSENT forbids `visitor.{_last_name(path)}` from {clause.versions}"]


def compare_fields(before: dict[str, str], after: dict[str, str], window: Window,
                   catalogue: Catalogue, after_version: RCVersion | None = None) -> list[Change]:
    removed = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    changes: list[Change] = []
    for paths, kind, breaking, side in ((removed, "field-removed", True, before),
                                        (added, "field-added", False, after)):
        chosen = set(paths)
        for path in paths:
            # A removed or added object brings its sub-fields: one change, listed as details.
            ancestor = _parent(path)
            while ancestor is not None and ancestor not in chosen:
                ancestor = _parent(ancestor)
            if ancestor is not None:
                continue
            subs = [f"{p}: {side[p]}" for p in paths if p.startswith((f"{path}.", f"{path}[]"))]
            forbidden = (forbidden_added(path, catalogue, after_version)
                         if kind == "field-added" else [])
            changes.append(Change(
                kind=kind, subject=path,
                before=side[path] if kind == "field-removed" else None,
                after=side[path] if kind == "field-added" else None,
                breaking=breaking or bool(forbidden), details=subs,
                documented=explain_name(catalogue, window, _last_name(path)) + forbidden,
            ))
    for path in sorted(set(before) & set(after)):
        if before[path] != after[path]:
            changes.append(Change(
                kind="field-retyped", subject=path, before=before[path], after=after[path],
                breaking=True, documented=explain_name(catalogue, window, _last_name(path)),
            ))
    return changes


def _answer_changes(b: dict[str, Any], a: dict[str, Any], clauses: list[str], window: Window,
                    after_version: RCVersion | None, catalogue: Catalogue) -> list[Change]:
    status = a["status"]
    if b["status"] != status:
        # A different status is a different answer: its keys and texts differ with it.
        # Documented by a changelog line of the case's clauses for a release crossed.
        documented = [f"{cid} changelog: {text}" for cid, text, version in _changelogs(catalogue, clauses)
                      if window.crosses(version)]
        return [Change("status", f"HTTP {b['status']} answer", str(b["status"]), str(status),
                       True, clauses, details=[f"error: {b.get('error')!r} -> {a.get('error')!r}"],
                       documented=documented)]
    changes = []
    before_body, after_body = b.get("body"), a.get("body")
    if not isinstance(before_body, dict) or not isinstance(after_body, dict):
        if before_body != after_body:
            changes.append(Change("body", f"HTTP {status} body", str(before_body), str(after_body),
                                  True, clauses))
        return changes
    for key in sorted(set(before_body) | set(after_body)):
        subject = f"HTTP {status} body `{key}`"
        documented = explain_name(catalogue, window, key, clauses)
        if key not in after_body:
            changes.append(Change("body-key-removed", subject, before_body[key], None, True,
                                  clauses, documented=documented))
        elif key not in before_body:
            value = a.get(key)
            changes.append(Change(
                "body-key-added", subject, None, after_body[key], False, clauses,
                details=[f"value: {value!r}"] if value is not None else [],
                documented=documented + explain_optional(catalogue, after_version, key, clauses),
            ))
        elif before_body[key] != after_body[key]:
            changes.append(Change("body-key-retyped", subject, before_body[key], after_body[key],
                                  True, clauses, documented=documented))
        elif b.get(key) != a.get(key):
            # Error texts are what clients match on: a reworded error is breaking.
            changes.append(Change("error-text", f"HTTP {status} `{key}`", b.get(key), a.get(key),
                                  True, clauses, documented=documented))
    return changes


def compare_cases(before: dict[str, Any], after: dict[str, Any], window: Window,
                  after_version: RCVersion | None, catalogue: Catalogue
                  ) -> tuple[list[Change], list[dict[str, str]]]:
    changes: list[Change] = []
    not_compared = []
    for nodeid in sorted(set(before) | set(after)):
        if nodeid not in before or nodeid not in after:
            # The case sent no request in one run (skipped there, or a notice): nothing to compare.
            side = "after" if nodeid in after else "before"
            not_compared.append({"case": nodeid, "observed_only_in": side})
            continue
        b_answers, a_answers = before[nodeid]["answers"], after[nodeid]["answers"]
        clauses = sorted(set(before[nodeid].get("clauses", [])) | set(after[nodeid].get("clauses", [])))
        mine: list[Change] = []
        if len(b_answers) != len(a_answers):
            mine.append(Change(
                "answers", "answers of the case",
                ", ".join(str(x["status"]) for x in b_answers),
                ", ".join(str(x["status"]) for x in a_answers), True, clauses,
            ))
        else:
            for b, a in zip(b_answers, a_answers, strict=True):
                mine.extend(_answer_changes(b, a, clauses, window, after_version, catalogue))
        for change in mine:
            change.cases = [nodeid]
        changes.extend(mine)
    return _merge(changes), not_compared


def _merge(changes: list[Change]) -> list[Change]:
    """One change per (kind, subject, before, after), with every case it was seen in."""
    merged: dict[tuple[str, str, str | None, str | None], Change] = {}
    for change in changes:
        known = merged.get(change.key())
        if known is None:
            merged[change.key()] = change
            continue
        known.cases += [c for c in change.cases if c not in known.cases]
        known.clauses = sorted(set(known.clauses) | set(change.clauses))
        known.details += [d for d in change.details if d not in known.details]
        known.documented += [d for d in change.documented if d not in known.documented]
    return list(merged.values())


def compare_clauses(before: dict[str, Any], after: dict[str, Any], window: Window,
                    catalogue: Catalogue) -> list[Change]:
    changes = []
    b_outcomes, a_outcomes = before.get("clauses", {}), after.get("clauses", {})
    for cid in [c for c in b_outcomes if c in a_outcomes]:
        was, now = b_outcomes[cid], a_outcomes[cid]
        if was == now:
            continue
        documented = []
        try:
            clause = catalogue[cid]
        except KeyError:
            clause = None
        if clause is not None and clause.changelog and window.crosses(
                _changelog_version(clause.changelog, clause.versions.lower_bound())):
            documented.append(f"{cid} changelog: {clause.changelog}")
        notice = before.get("notices", {}).get(cid)
        if notice:
            documented.append(f"the suite's notice on {before.get('server_version')}: {notice}")
        changes.append(Change("clause", cid, was, now, now == FAILED and was != FAILED, [cid],
                              documented=documented))
    return changes


DOCUMENT_NOTE = "the server's own GET /api/docs/json (a description, never breaking)"


def compare_documents(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """How the server's own document of visitors.info changed between the runs."""
    if not before or not after:
        return []  # a run made by a suite that did not look at the document

    def state(doc: dict[str, Any]) -> str:
        if not doc.get("served"):
            return f"not compared ({doc.get('reason')})"
        return "served" if doc.get("operation") is not None else "served, without visitors.info"

    was, now = state(before), state(after)
    if was != now:
        return [Change("document", "the server's OpenAPI document of visitors.info", was, now,
                       False, documented=[DOCUMENT_NOTE])]
    if before.get("operation") is None or after.get("operation") is None:
        return []
    changes = []
    mine, theirs = after["operation"], before["operation"]
    for line in differences(mine, theirs, "after", "before"):
        label = line.split("`")[1]
        changes.append(Change("document", f"`{label}`", theirs.get(label), mine.get(label),
                              False, documented=[DOCUMENT_NOTE]))
    return changes


def _context(data: dict[str, Any], source: Path) -> dict[str, Any]:
    return {
        "report": str(source),
        "server_version": data.get("server_version"),
        "version_source": data.get("version_source"),
        "contract_version": data.get("contract_version"),
        "suite_version": data.get("suite_version"),
        "spec_sha256": data.get("spec_sha256"),
        "reference": data.get("reference"),
        "reference_faults": data.get("reference_faults", []),
    }


def _caveats(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    notes = []
    if before.get("suite_version") != after.get("suite_version") or (
            before.get("spec_sha256") != after.get("spec_sha256")):
        notes.append("the runs used different suite versions or spec files: a clause outcome "
                     "change may come from the suite, not the server")
    for name, data in (("before", before), ("after", after)):
        if data.get("contract_version") != data.get("server_version"):
            notes.append(f"{name} was judged by the {data.get('contract_version')} contract, not "
                         f"its server's {data.get('server_version')}")
        if data.get("reference_faults"):
            notes.append(f"{name} ran against the reference server with faults "
                         f"{', '.join(data['reference_faults'])}")
    if before.get("server_version") == after.get("server_version"):
        notes.append("both runs report the same server version: no release changelog applies")
    return notes


def compare(before: dict[str, Any], after: dict[str, Any], catalogue: Catalogue | None = None,
            before_source: Path | None = None, after_source: Path | None = None) -> dict[str, Any]:
    catalogue = catalogue or load_catalogue()
    window = Window.of(before, after)
    after_version = _version(after.get("contract_version")) or _version(after.get("server_version"))
    case_changes, not_compared = compare_cases(before.get("cases", {}), after.get("cases", {}),
                                               window, after_version, catalogue)
    changes = (compare_fields(before.get("visitor_fields", {}), after.get("visitor_fields", {}),
                              window, catalogue, after_version)
               + case_changes + compare_clauses(before, after, window, catalogue)
               + compare_documents(before.get("server_document"), after.get("server_document")))
    return {
        "before": _context(before, before_source or Path("before")),
        "after": _context(after, after_source or Path("after")),
        "breaking": any(c.breaking for c in changes),
        "changes": [asdict(c) for c in changes],
        "not_compared": not_compared,
        "caveats": _caveats(before, after),
        # Each run's own document against the bundled contract (notices of that run).
        "document_drift": {side: (data.get("server_document") or {}).get("differences", [])
                           for side, data in (("before", before), ("after", after))},
    }
