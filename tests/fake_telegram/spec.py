"""Loading of the official Bot API description (``api.json``) and validation of requests and answers."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .formatting import PARSE_MODES, FormatError, parse_formatted, utf16_len

SPEC_PATH = Path(__file__).with_name("api.json")

PRIMITIVES = {"Integer", "Float", "String", "Boolean", "True", "InputFile"}
ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
CHAT_ACTIONS = (
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
)
# InlineKeyboardButton: exactly one of the fields other than these must be set
_BUTTON_NON_ACTION = {"text", "icon_custom_emoji_id", "style"}
# Fields aiogram 3.31 requires although the bundled api.json does not describe them; added to the
# loaded spec as optional so that the fake may send them.
EXTRA_FIELDS = {
    "ChatMemberAdministrator": [("can_send_welcome_messages", ["Boolean"])],
    "ChatAdministratorRights": [("can_send_welcome_messages", ["Boolean"])],
}
_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


class ApiError(Exception):
    """An answer with ``ok: false``.  ``violation`` marks errors that are spec violations by the client."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        violation: bool = False,
        problem: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.violation = violation
        self.problem = problem or description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str, problem: str | None = None) -> ApiError:
    """A 400 caused by the client breaking the spec: recorded as a violation."""
    return ApiError(400, f"Bad Request: {description}", violation=True, problem=problem or description)


@dataclass
class UploadedFile:
    """A multipart file part of a request."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class FieldSpec:
    name: str
    types: list[str]
    required: bool
    description: str


@dataclass
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    subtypes: list[str] = field(default_factory=list)


class ApiSpec:
    def __init__(self, path: Path = SPEC_PATH) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.version: str = raw["version"]
        self.release_date: str = raw["release_date"]
        self.methods: dict[str, dict[str, Any]] = raw["methods"]
        self.types: dict[str, TypeSpec] = {}
        for name, t in raw["types"].items():
            self.types[name] = TypeSpec(
                name=name,
                fields={
                    f["name"]: FieldSpec(f["name"], f["types"], f["required"], f["description"])
                    for f in t.get("fields", [])
                },
                subtypes=list(t.get("subtypes", [])),
            )
        for type_name, extra in EXTRA_FIELDS.items():
            for field_name, types in extra:
                self.types[type_name].fields.setdefault(
                    field_name, FieldSpec(field_name, types, False, "Added by the fake for aiogram")
                )
        self._methods_lower = {name.lower(): name for name in self.methods}

    def method_name(self, name: str) -> str | None:
        return self._methods_lower.get(name.lower())

    def method_fields(self, method: str) -> dict[str, FieldSpec]:
        return {
            f["name"]: FieldSpec(f["name"], f["types"], f["required"], f["description"])
            for f in self.methods[method].get("fields", [])
        }

    @cached_property
    def discriminators(self) -> dict[str, tuple[str, str]]:
        """type name → (field, value) for subtypes told apart by a ``type``/``status``/``source`` field."""
        result: dict[str, tuple[str, str]] = {}
        for name, t in self.types.items():
            for key in ("type", "status", "source"):
                f = t.fields.get(key)
                if f is None or not f.required:
                    continue
                m = re.search(r'always "([\w-]+)"', f.description) or re.search(
                    r"must be ([a-z_]+)", f.description
                )
                if m:
                    result[name] = (key, m.group(1))
                    break
        return result

    # ------------------------------------------------------------------ JSON values
    def check_value(
        self, types: list[str], value: Any, path: str, *, files: dict[str, Any] | None = None
    ) -> list[str]:
        """Problems of ``value`` against any of ``types`` (empty list: valid)."""
        candidates: list[tuple[int, int, list[str]]] = []
        for t in types:
            problems = self._check_one(t, value, path, files)
            if not problems:
                return []
            candidates.append((-self._overlap(t, value), len(problems), problems))
        if not candidates:
            return [f"{path}: no type given"]
        return min(candidates, key=lambda c: (c[0], c[1]))[2]

    def _overlap(self, t: str, value: Any) -> int:
        """How many keys of a JSON object ``value`` are fields of type ``t`` (to report the intended type)."""
        spec = self.types.get(t)
        if spec is None or not isinstance(value, dict):
            return 0
        names = set(spec.fields)
        for sub in spec.subtypes:
            names |= set(self.types[sub].fields)
        return len(names & value.keys())

    def _check_one(self, t: str, value: Any, path: str, files: dict[str, Any] | None) -> list[str]:
        if t.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected {t}, got {type(value).__name__}"]
            inner = t[len("Array of ") :]
            problems: list[str] = []
            for i, item in enumerate(value):
                problems += self._check_one(inner, item, f"{path}[{i}]", files)
            return problems
        if t == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif t == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif t == "String":
            ok = isinstance(value, str)
        elif t == "Boolean":
            ok = isinstance(value, bool)
        elif t == "True":
            ok = value is True
        elif t == "InputFile":
            if isinstance(value, UploadedFile):
                return []
            if isinstance(value, str) and value.startswith("attach://"):
                if files is not None and value[len("attach://") :] not in files:
                    return [f"{path}: attached file {value!r} is missing in the multipart request"]
                return []
            ok = False
        elif t in self.types:
            return self._check_object(t, value, path, files)
        else:
            return [f"{path}: unknown spec type {t}"]
        return [] if ok else [f"{path}: expected {t}, got {type(value).__name__} {value!r:.60}"]

    def _check_object(self, t: str, value: Any, path: str, files: dict[str, Any] | None) -> list[str]:
        spec = self.types[t]
        if spec.subtypes:
            if isinstance(value, dict):
                for sub in spec.subtypes:
                    disc = self.discriminators.get(sub)
                    if disc and value.get(disc[0]) == disc[1]:
                        return self._check_object(sub, value, path, files)
            return self.check_value(spec.subtypes, value, path, files=files)
        if not isinstance(value, dict):
            return [f"{path}: expected {t} object, got {type(value).__name__}"]
        problems: list[str] = []
        disc = self.discriminators.get(t)
        if disc and disc[0] in value and value[disc[0]] != disc[1]:
            problems.append(f"{path}.{disc[0]}: must be {disc[1]!r} for {t}, got {value[disc[0]]!r}")
        for name, f in spec.fields.items():
            if f.required and name not in value:
                problems.append(f"{path}: required field {t}.{name} is missing")
        for name, item in value.items():
            f = spec.fields.get(name)
            if f is None:
                problems.append(f"{path}: unknown field {t}.{name}")
                continue
            problems += self.check_value(f.types, item, f"{path}.{name}", files=files)
        if not problems:
            problems += self._object_rules(t, value, path)
        return problems

    def _object_rules(self, t: str, value: dict[str, Any], path: str) -> list[str]:
        problems: list[str] = []
        if t == "InlineKeyboardButton":
            actions = [k for k in value if k not in _BUTTON_NON_ACTION]
            if len(actions) != 1:
                problems.append(f"{path}: inline button must have exactly one action field, has {actions}")
            data = value.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                problems.append(f"{path}.callback_data: must be 1-64 bytes, got {len(data.encode('utf-8'))}")
            if not value.get("text"):
                problems.append(f"{path}.text: button text must be non-empty")
        elif t == "MessageEntity":
            if value["offset"] < 0 or value["length"] <= 0:
                problems.append(f"{path}: entity offset/length out of range")
        elif t.startswith("InputMedia"):
            if "parse_mode" in value and value["parse_mode"] not in PARSE_MODES:
                problems.append(f"{path}.parse_mode: unsupported parse mode {value['parse_mode']!r}")
            elif "caption" in value:
                try:
                    caption, _ = parse_formatted(value["caption"], value.get("parse_mode"))
                except FormatError as e:
                    problems.append(f"{path}.caption: can't parse entities: {e}")
                else:
                    if len(caption) > 1024:
                        problems.append(f"{path}.caption: caption is longer than 1024 characters")
        return problems

    # ------------------------------------------------------------------ requests
    def decode_request(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Decode form fields by the spec types and validate them.  Raises ApiError (a violation)."""
        fields = self.method_fields(method)
        files = {k: v for k, v in raw.items() if isinstance(v, UploadedFile)}
        params: dict[str, Any] = {}
        for name, value in raw.items():
            f = fields.get(name)
            if f is None:
                if isinstance(value, UploadedFile) and _is_attached(name, raw):
                    continue  # multipart part referenced as attach://name
                raise bad_request(f"unknown parameter {name!r}", f"unknown field {name!r} for {method}")
            params[name] = self._decode_field(method, f, value, files)
        for name, f in fields.items():
            if f.required and name not in params:
                raise bad_request(f"parameter {name!r} is required", f"missing required field {name!r}")
        params["__files__"] = files
        self._method_rules(method, params)
        return params

    def _decode_field(self, method: str, f: FieldSpec, value: Any, files: dict[str, Any]) -> Any:
        def fail(why: str) -> ApiError:
            return bad_request(f"wrong type of parameter {f.name!r}: {why}", f"field {f.name!r}: {why}")

        if isinstance(value, UploadedFile):
            if "InputFile" in f.types:
                return value
            raise fail(f"file uploaded for a field of type {' or '.join(f.types)}")
        if not isinstance(value, str):  # JSON request body: values are already typed
            problems = self.check_value(f.types, value, f.name, files=files)
            if problems:
                raise fail("; ".join(problems))
            return value
        errors: list[str] = []
        for t in f.types:
            if t == "Integer" and _INT_RE.match(value):
                return int(value)
            if t == "Float" and _FLOAT_RE.match(value):
                return float(value)
            if t in ("Boolean", "True") and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            if t == "InputFile" and value.startswith("attach://"):
                if value[len("attach://") :] not in files:
                    raise fail(f"attached file {value!r} is missing")
                return files[value[len("attach://") :]]
            if t.startswith("Array of ") or (t in self.types):
                try:
                    decoded = json.loads(value)
                except ValueError:
                    errors.append("can't parse JSON object")
                    break
                json_types = [x for x in f.types if x.startswith("Array of ") or x in self.types]
                problems = self.check_value(json_types, decoded, f.name, files=files)
                if not problems:
                    return decoded
                errors += problems
                break
        if "String" in f.types or ("InputFile" in f.types and value):
            return value
        raise fail("; ".join(errors) or f"expected {' or '.join(f.types)}, got {value!r:.60}")

    def _method_rules(self, method: str, p: dict[str, Any]) -> None:
        """Lengths, ranges and enumerations given in the descriptions."""
        parse_mode = p.get("parse_mode")
        if parse_mode is not None and parse_mode not in PARSE_MODES:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        if "text" in p and method in ("sendMessage", "editMessageText"):
            text, _ = formatted(p["text"], parse_mode, p.get("entities"))
            if not text.strip():
                raise bad_request("message text is empty")
            if len(text) > 4096:
                raise bad_request("message is too long", f"text is {len(text)} characters, limit 4096")
        if "caption" in p:
            caption, _ = formatted(p["caption"], parse_mode, p.get("caption_entities"))
            if len(caption) > 1024:
                raise bad_request("message caption is too long", f"caption is {len(caption)} characters")
        if method == "answerCallbackQuery" and len(p.get("text", "")) > 200:
            raise bad_request("answer text is too long", "answerCallbackQuery text over 200 characters")
        if method == "createForumTopic" and not 1 <= len(p["name"]) <= 128:
            raise bad_request("TOPIC_NAME_INVALID", "topic name must be 1-128 characters")
        if method == "editForumTopic" and len(p.get("name", "")) > 128:
            raise bad_request("TOPIC_NAME_INVALID", "topic name must be 0-128 characters")
        if "icon_color" in p and p["icon_color"] not in ICON_COLORS:
            raise bad_request("TOPIC_ICON_COLOR_INVALID", f"icon_color {p['icon_color']} is not allowed")
        if "message_ids" in p:
            ids = p["message_ids"]
            if not 1 <= len(ids) <= 100:
                raise bad_request("message_ids must contain 1-100 identifiers")
            if method != "deleteMessages" and any(a >= b for a, b in itertools.pairwise(ids)):
                raise bad_request("message identifiers must be in strictly increasing order")
        if method == "getUpdates" and "limit" in p and not 1 <= p["limit"] <= 100:
            raise bad_request("limit must be in range 1-100")
        if method == "sendChatAction" and p["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request", f"unknown chat action {p['action']!r}")
        if method == "sendMediaGroup":
            media = p["media"]
            if not 2 <= len(media) <= 10:
                raise bad_request("media group must include 2-10 items")
            kinds = {m["type"] for m in media}
            if len(kinds) > 1 and not kinds <= {"photo", "video"}:
                raise bad_request(
                    "documents and audio files can't be mixed with other media types in an album"
                )


def formatted(text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None) -> tuple[str, list]:
    """Plain text and entities of a message text or caption; raises a "can't parse entities" violation."""
    if parse_mode and entities:
        # Telegram ignores parse_mode when entities are given
        parse_mode = None
    try:
        plain, parsed = parse_formatted(text, parse_mode)
    except FormatError as e:
        raise bad_request(f"can't parse entities: {e}", f"can't parse entities ({parse_mode}): {e}") from None
    if entities:
        limit = utf16_len(plain)
        for e in entities:
            if e["offset"] + e["length"] > limit:
                raise bad_request("entity beyond the end of text", f"entity {e} beyond the end of text")
        parsed = entities
    return plain, parsed


def _is_attached(name: str, raw: dict[str, Any]) -> bool:
    needle = f"attach://{name}"
    return any(isinstance(v, str) and needle in v for v in raw.values())
