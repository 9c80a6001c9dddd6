"""The ledger: every object a run creates, written before it is created.

One JSON line per event in ``<report dir>/ledger.jsonl``, appended and flushed
immediately, so a crashed or killed run leaves a record that ``rc-contract
sweep`` can act on. It holds no secret: visitor tokens are derived from the
account's secret and the run id (see ``visitor_token``), never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEDGER_FILE = "ledger.jsonl"
PLANNED, CREATED, REMOVED = "planned", "created", "removed"


def visitor_token(account_secret: str, run_id: str, label: str) -> str:
    """The token of visitor ``label`` of a run: only the account's holder can derive it."""
    digest = hmac.new(account_secret.encode(), f"{run_id}:{label}".encode(), hashlib.sha256)
    return "rcct" + digest.hexdigest()[:28]


def account_check(account_secret: str, run_id: str) -> str:
    """Tells a sweep whether it holds the run's account: a visitor only planned (the run
    was killed while registering it) has no id to look up, and a token that does not
    derive from the sweeping account's secret finds nothing either way."""
    digest = hmac.new(account_secret.encode(), f"{run_id}:account-check".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class LedgerEntry:
    run_id: str
    target: str
    kind: str  # "visitor" | "user"
    label: str
    state: str
    object_id: str | None = None
    username: str | None = None
    account_check: str | None = None


class Ledger:
    def __init__(self, directory: Path) -> None:
        self.path = directory / LEDGER_FILE
        self._lock = threading.Lock()

    def write(self, entry: LedgerEntry) -> None:
        record: dict[str, Any] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        record.update({k: v for k, v in entry.__dict__.items() if v is not None})
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())

    def read(self) -> list[LedgerEntry]:
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text("utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                raw.pop("at", None)
                entries.append(LedgerEntry(**raw))
        return entries

    def outstanding(self, target: str | None = None) -> list[LedgerEntry]:
        """Objects planned or created and not removed, latest state per object."""
        latest: dict[tuple[str, str, str], LedgerEntry] = {}
        for entry in self.read():
            key = (entry.run_id, entry.kind, entry.label)
            previous = latest.get(key)
            merged = entry
            if previous is not None:
                merged = LedgerEntry(
                    **{**previous.__dict__, **{k: v for k, v in entry.__dict__.items() if v}}
                )
            latest[key] = merged
        return [
            e for e in latest.values()
            if e.state != REMOVED and (target is None or e.target == target)
        ]
