"""The words of a `RoutingError`: where in the file (``communities[0].grids[2].area``) and what
was wrong, in plain words rather than pydantic's or PyYAML's, with the value that was written.
Used by services/routing_file.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml
from pydantic import ValidationError


def describe_yaml_error(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}YAML syntax error: {problem}"


def _format_location(location: Iterable[int | str]) -> str:
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (key)"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


_MESSAGES = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string (quote it)",
    "string_too_short": "must be a non-empty string",
    "string_pattern_mismatch": (
        "a code is 1-32 letters, digits, '-', '_' or '.', starting with a letter or digit"
    ),
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "greater_than": "a Telegram user id is a positive integer",
}


def describe_validation_error(error: ValidationError, data: object) -> str:
    first = error.errors(include_url=False)[0]
    location = [part for part in first["loc"] if isinstance(part, int | str)]
    kind = first["type"]
    last = location[-1] if location else None
    if kind == "value_error":
        message = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    elif kind == "int_type" and last == "chat":
        message = "a chat id must be an integer, such as -1001234567890"
    elif kind == "too_short" and location and location[-1] == "categories":
        message = "at least one category is needed"
    elif kind == "too_short" and "coordinates" in location and isinstance(last, int):
        message = "a position is [longitude, latitude]"
    elif kind == "too_long" and "coordinates" in location and isinstance(last, int):
        message = "a position is [longitude, latitude] (or with an altitude)"
    else:
        message = _MESSAGES.get(kind, first["msg"].replace("Input should be", "must be", 1))
    if kind not in ("missing", "extra_forbidden") and "input" in first:
        value = first["input"]
        if value is None or isinstance(value, str | int | float | bool):
            message += f" (got {_short_repr(value)})"
    return f"{_format_location(location)}: {message}"


def _short_repr(value: object) -> str:
    shown = "null" if value is None else repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
