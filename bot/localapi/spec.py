"""The published Bot API description and request validation against it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import Upload

__all__ = [
    "DEFAULT_SPEC_PATH",
    "ApiError",
    "BotApiSpec",
    "FieldSpec",
    "MethodSpec",
    "bad_request",
]

# The published Bot API (PaulSonOfLars/telegram-bot-api-spec, MIT), kept beside this module so
# the sandbox runs from a plain clone; bot-api-spec.provenance records its source and SHA-256.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "bot-api-spec.json"

_SCALARS = {"Integer", "String", "Boolean", "Float", "InputFile", "True"}
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# Object types Telegram also accepts as a bare string (reply buttons, poll options).
_STRING_OBJECTS = {"KeyboardButton": "text", "InputPollOption": "text"}
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')

# Parameters Telegram still accepts although the published spec dropped them;
# aiogram forwards them when a handler or the bot defaults use them.
_LEGACY_REPLY = {"reply_to_message_id": ("Integer",), "allow_sending_without_reply": ("Boolean",)}
_LEGACY_PREVIEW = {"disable_web_page_preview": ("Boolean",)}


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_dict(self) -> dict[str, Any]:
        """The JSON body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 error worded like Telegram's (``Bad Request: <message>``)."""
    return ApiError(400, f"Bad Request: {message}")


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or one field of an object type."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method: its canonical name, parameters and return types."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]

    @property
    def sends_message(self) -> bool:
        """True for methods that put a message into a chat (flood-controlled)."""
        if self.name.startswith("editMessage"):
            return True
        if "chat_id" not in self.fields:
            return False
        message_types = {"Message", "Array of Message", "MessageId", "Array of MessageId"}
        return bool(message_types.intersection(self.returns))


class _Invalid(Exception):
    """Internal: a value did not match a type."""


class BotApiSpec:
    """Loaded ``bot-api-spec.json`` with case-insensitive method lookup and validation."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = str(data.get("version", ""))
        self.types: dict[str, dict[str, Any]] = dict(data.get("types", {}))
        self.methods: dict[str, MethodSpec] = {}
        for name, raw in data.get("methods", {}).items():
            fields = {f["name"]: _field(f) for f in raw.get("fields", [])}
            if "reply_parameters" in fields:
                fields.update(_legacy(_LEGACY_REPLY))
            if "link_preview_options" in fields:
                fields.update(_legacy(_LEGACY_PREVIEW))
            returns = tuple(raw.get("returns", []))
            self.methods[name.lower()] = MethodSpec(name, fields, returns)
        self._type_fields: dict[str, dict[str, FieldSpec]] = {
            name: {f["name"]: _field(f) for f in raw.get("fields", [])}
            for name, raw in self.types.items()
        }
        self._discriminators: dict[str, tuple[str, str]] = {}
        for raw in self.types.values():
            for sub in raw.get("subtypes", []):
                for f in self.types.get(sub, {}).get("fields", [])[:1]:
                    match = _DISCRIMINATOR_RE.search(f.get("description", ""))
                    if f["name"] in ("type", "status", "source") and match:
                        self._discriminators[sub] = (f["name"], match.group(1))

    @classmethod
    def load(cls, path: str | Path | None = None) -> BotApiSpec:
        """Read the spec JSON (default: the copy beside this module)."""
        spec_path = Path(path) if path is not None else DEFAULT_SPEC_PATH
        with spec_path.open(encoding="utf-8") as handle:
            return cls(json.load(handle))

    # ----------------------------------------------------------------- lookups

    def method(self, name: str) -> MethodSpec | None:
        """The method named ``name`` (case-insensitive), or None."""
        return self.methods.get(name.lower())

    def type_fields(self, name: str) -> dict[str, FieldSpec]:
        """Fields of an object type (empty for unknown or abstract types)."""
        return self._type_fields.get(name, {})

    def subtypes(self, name: str) -> list[str]:
        """Concrete subtypes of an abstract type such as ``BotCommandScope``."""
        return list(self.types.get(name, {}).get("subtypes", []))

    # -------------------------------------------------------------- validation

    def validate(
        self,
        method: MethodSpec,
        raw: Mapping[str, Any],
        uploads: Mapping[str, Upload],
    ) -> dict[str, Any]:
        """Check ``raw`` parameters against ``method`` and return them decoded.

        Form values arrive as strings; they are converted to the spec types
        (``"true"`` → True, ``"42"`` → 42, JSON strings → objects). ``attach://``
        references and file parts are resolved to :class:`Upload` objects.
        """
        for name in raw:
            if name not in method.fields:
                raise bad_request(f'unknown field "{name}" for method {method.name}')
        params: dict[str, Any] = {}
        for name, field_spec in method.fields.items():
            if name not in raw or raw[name] is None:
                if field_spec.required:
                    raise bad_request(_missing_message(method.name, name, field_spec))
                continue
            params[name] = self._top_level(method.name, field_spec, raw[name], uploads)
        return params

    def _top_level(
        self, method: str, field_spec: FieldSpec, value: Any, uploads: Mapping[str, Upload]
    ) -> Any:
        types = field_spec.types
        if isinstance(value, Upload):
            if "InputFile" in types:
                return value
            raise bad_request(f'field "{field_spec.name}" can\'t be a file')
        if isinstance(value, str) and "InputFile" in types and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"wrong HTTP URL specified: can't find attached file {value}")
            return upload
        candidates = [value]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                candidates.append(json.loads(value))
            except ValueError:
                if not {"String", "InputFile"}.intersection(types):
                    raise bad_request(_json_message(field_spec.name)) from None
        for candidate in candidates:
            for type_name in types:
                try:
                    return self.coerce(candidate, type_name)
                except _Invalid:
                    continue
        if any(t not in _SCALARS for t in types) and isinstance(value, str):
            raise bad_request(_json_message(field_spec.name))
        detail = self._explain(candidates[-1], types)
        raise bad_request(f'can\'t parse "{field_spec.name}"{detail}')

    def _explain(self, value: Any, types: tuple[str, ...]) -> str:
        """Best-effort description of why ``value`` matches none of ``types``."""
        for type_name in types:
            if type_name in _SCALARS or type_name.startswith("Array of"):
                continue
            fields = self.type_fields(type_name)
            if isinstance(value, dict) and fields:
                for f in fields.values():
                    if f.required and f.name not in value:
                        return f': field "{f.name}" of {type_name} is required'
                    if f.name in value:
                        try:
                            self._coerce_any(value[f.name], f.types)
                        except _Invalid:
                            return f': field "{f.name}" of {type_name} must be {_join(f.types)}'
        return f": expected {_join(types)}"

    def _coerce_any(self, value: Any, types: tuple[str, ...]) -> Any:
        for type_name in types:
            try:
                return self.coerce(value, type_name)
            except _Invalid:
                continue
        raise _Invalid

    def coerce(self, value: Any, type_name: str, depth: int = 0) -> Any:
        """Convert ``value`` to ``type_name`` or raise (internal ``_Invalid``)."""
        if depth > 32:
            raise _Invalid
        if type_name.startswith("Array of "):
            inner = type_name.removeprefix("Array of ")
            if isinstance(value, str) and value.strip().startswith("["):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise _Invalid from None
            if not isinstance(value, list):
                raise _Invalid
            return [self.coerce(item, inner, depth + 1) for item in value]
        if type_name == "Integer":
            if isinstance(value, bool):
                raise _Invalid
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and _INT_RE.match(value.strip()):
                return int(value.strip())
            raise _Invalid
        if type_name == "Float":
            if isinstance(value, bool):
                raise _Invalid
            if isinstance(value, int | float):
                return float(value)
            if isinstance(value, str) and _FLOAT_RE.match(value.strip()):
                return float(value.strip())
            raise _Invalid
        if type_name in ("Boolean", "True"):
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
                return value.strip().lower() in ("true", "1")
            raise _Invalid
        if type_name == "String":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise _Invalid
        if type_name == "InputFile":
            if isinstance(value, Upload):
                return value
            raise _Invalid
        return self._coerce_object(value, type_name, depth)

    def _coerce_object(self, value: Any, type_name: str, depth: int) -> Any:
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                raise _Invalid from None
        if type_name in _STRING_OBJECTS and isinstance(value, str):
            return {_STRING_OBJECTS[type_name]: value}
        if not isinstance(value, dict):
            raise _Invalid
        subtypes = self.subtypes(type_name)
        if subtypes:
            for sub in subtypes:
                try:
                    return self._coerce_object(value, sub, depth + 1)
                except _Invalid:
                    continue
            raise _Invalid
        if type_name not in self.types:
            return value  # an unknown type name: accept any object
        discriminator = self._discriminators.get(type_name)
        if discriminator and value.get(discriminator[0]) != discriminator[1]:
            raise _Invalid
        result = dict(value)
        for name, f in self.type_fields(type_name).items():
            if name not in value or value[name] is None:
                if f.required:
                    raise _Invalid
                continue
            for candidate_type in f.types:
                try:
                    result[name] = self.coerce(value[name], candidate_type, depth + 1)
                    break
                except _Invalid:
                    continue
            else:
                raise _Invalid
        return result

    # -------------------------------------------------------------- synthesis

    def fill_required(
        self, type_name: str, given: Mapping[str, Any] | None = None, depth: int = 0
    ) -> dict[str, Any]:
        """A minimal object of ``type_name``: ``given`` plus neutral required fields."""
        result = dict(given or {})
        subtypes = self.subtypes(type_name)
        if subtypes:
            type_name = subtypes[0]
        discriminator = self._discriminators.get(type_name)
        if discriminator:
            result.setdefault(*discriminator)
        for name, f in self.type_fields(type_name).items():
            if f.required and name not in result:
                result[name] = self._neutral(f.types[0], depth)
        return result

    def _neutral(self, type_name: str, depth: int) -> Any:
        if type_name.startswith("Array of"):
            return []
        neutral: dict[str, Any] = {
            "Integer": 0,
            "Float": 0.0,
            "Boolean": False,
            "True": True,
            "String": "",
        }
        if type_name in neutral:
            return neutral[type_name]
        if depth > 4:
            return {}
        return self.fill_required(type_name, depth=depth + 1)


def _field(raw: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(raw["name"], tuple(raw.get("types", [])), bool(raw.get("required")))


def _legacy(extra: Mapping[str, tuple[str, ...]]) -> dict[str, FieldSpec]:
    return {name: FieldSpec(name, types, False) for name, types in extra.items()}


def _join(types: tuple[str, ...]) -> str:
    return " or ".join(types)


def _json_message(name: str) -> str:
    if name == "reply_markup":
        return "can't parse reply keyboard markup JSON object"
    return f"can't parse {name} JSON object"


def _missing_message(method: str, name: str, field_spec: FieldSpec) -> str:
    if name == "text" and method in ("sendMessage", "editMessageText"):
        return "message text is empty"
    if "InputFile" in field_spec.types:
        return f"there is no {name} in the request"
    return f"{name} is empty"
