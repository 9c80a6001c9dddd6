"""A small JSON-Schema check that reports Ajv's first error, worded as Ajv v8 words it.

Keyword order follows Ajv: type, then required, then additionalProperties, then
properties. With `coerce_arrays` a one-item array of a scalar is accepted where a
scalar is expected (Ajv's `coerceTypes: "array"`), and the data is changed in place.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# rest-typings' isLivechatVisitorsInfoProps, identical in every 8.x and 9.0.
VISITORS_INFO: Schema = {
    "type": "object",
    "properties": {"visitorId": {"type": "string"}},
    "required": ["visitorId"],
    "additionalProperties": False,
}

USERS_CREATE: Schema = {
    "type": "object",
    "properties": {
        "email": {"type": "string"},
        "name": {"type": "string"},
        "password": {"type": "string"},
        "username": {"type": "string"},
        "active": {"type": "boolean"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "joinDefaultChannels": {"type": "boolean"},
        "requirePasswordChange": {"type": "boolean"},
        "sendWelcomeEmail": {"type": "boolean"},
        "verified": {"type": "boolean"},
        "customFields": {"type": "object"},
    },
    "required": ["email", "name", "password", "username"],
    "additionalProperties": False,
}

USERS_DELETE: Schema = {
    "type": "object",
    "properties": {"userId": {"type": "string"}, "confirmRelinquish": {"type": "boolean"}},
    "required": ["userId"],
    "additionalProperties": False,
}

REGISTER_VISITOR: Schema = {
    "type": "object",
    "properties": {
        "visitor": {
            "type": "object",
            "properties": {
                "token": {"type": "string"},
                "name": {"type": "string"},
                "email": {"type": "string"},
                "phone": {"type": "string"},
                "department": {"type": "string"},
            },
            "required": ["token"],
        }
    },
    "required": ["visitor"],
}

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "number": (int, float),
}


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "number" and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[expected])


def first_error(schema: Schema, data: Any, coerce_arrays: bool = False) -> str | None:
    """Ajv's message for the first violation, or None when `data` is valid."""
    expected = schema.get("type")
    if expected is not None and not _type_ok(data, expected):
        return f"must be {expected}"
    if not isinstance(data, dict):
        if isinstance(data, list) and "items" in schema:
            for item in data:
                error = first_error(schema["items"], item, coerce_arrays)
                if error:
                    return error
        return None
    for name in schema.get("required", ()):
        if name not in data:
            return f"must have required property '{name}'"
    properties: dict[str, Schema] = schema.get("properties", {})
    if schema.get("additionalProperties", True) is False and any(
        key not in properties for key in data
    ):
        return "must NOT have additional properties"
    for name, sub in properties.items():
        if name not in data:
            continue
        value = data[name]
        if (
            coerce_arrays
            and sub.get("type") not in (None, "array")
            and isinstance(value, list)
            and len(value) == 1
            and _type_ok(value[0], sub["type"])
        ):
            data[name] = value = value[0]
        error = first_error(sub, value, coerce_arrays)
        if error:
            return error
    return None
