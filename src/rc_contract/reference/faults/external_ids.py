"""Faults of the visitor's externalIds (VI-EXTIDS-SHAPE)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..hooks import Hook, HookPoint
from .builders import _set
from .registry import fault


def _ext_ids_map(ids: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["appId"]: {k: v for k, v in e.items() if k != "appId"} for e in ids}


def _ext_ids_items(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Hook:
    return _set("externalIds", lambda ids: [change(dict(e)) for e in ids])


def _entity_number(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "entityId": int(e["entityId"]) if e["entityId"].isdigit() else e["entityId"]}


def _metadata_string(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "metadata": json.dumps(e["metadata"])} if "metadata" in e else e


def _no_app_id(e: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k != "appId"}


# -- VI-EXTIDS-SHAPE (meaningful from 8.4.0; seeded visitor) -----------------------------

fault("ext-ids-object", HookPoint.VIEW, _set("externalIds", _ext_ids_map), clauses=["VI-EXTIDS-SHAPE"],
      description="`externalIds` is an object keyed by appId instead of an array.")

fault("ext-ids-entity-number", HookPoint.VIEW, _ext_ids_items(_entity_number), clauses=["VI-EXTIDS-SHAPE"],
      description="`entityId` is a number when it is all digits.")

fault("ext-ids-metadata-string", HookPoint.VIEW, _ext_ids_items(_metadata_string),
      clauses=["VI-EXTIDS-SHAPE"],
      description="`metadata` is a JSON text instead of an object.")

fault("ext-ids-app-id-missing", HookPoint.VIEW, _ext_ids_items(_no_app_id), clauses=["VI-EXTIDS-SHAPE"],
      description="`externalIds` items lack `appId`.")
