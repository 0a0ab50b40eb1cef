"""OpenAI's OpenAPI description: find an operation, validate requests, responses and events.

The description (``spec/openai-openapi.json``, see ``spec/PROVENANCE.md``) is loaded on first
use and cached, with its known defects patched (``KNOWN_DEFECTS``). Validation is JSON Schema
Draft 2020-12, with ``#/components/...`` references resolved inside the one document:
``jsonschema-rs`` decides whether an instance is valid (compiled, fast), and only for one it
refuses does ``jsonschema`` (with ``referencing``) list the errors, as the messages need.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).with_name("spec") / "openai-openapi.json"
_URI = "urn:openai-openapi"
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")

KNOWN_DEFECTS: tuple[str, ...] = (
    "Response.user is sent as null (the spec says string)",
    "Response.usage is null while a response is in progress",
    "an empty Assistants list sends first_id / last_id as null (vector stores and files too)",
    "Response.store is sent but not declared",
    "OpenAPI 3.0 `nullable: true` is read as a JSON-Schema null union",
    "`oneOf` unions overlap (a message fits both EasyInputMessage and InputMessage): "
    "read as `anyOf`",
    "a request's function tool may leave out `strict` (the real API defaults it to true)",
    "some 404s are declared as a bare Error: every error answer is `{'error': Error}`",
    "an assistant's input message takes output_text and refusal parts (the real API "
    "requires them; the spec lists input parts only)",
)
_NULLABLE_LIST_IDS = (
    "ListAssistantsResponse",
    "ListMessagesResponse",
    "ListRunsResponse",
    "ListRunStepsResponse",
    "ListVectorStoresResponse",
    "ListVectorStoreFilesResponse",
    "ListFilesResponse",
)


@dataclass(frozen=True)
class Problem:
    """Why a request is refused: the offending ``param``, the API's ``code`` and message."""

    param: str | None
    code: str
    message: str


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: its method, path template and JSON pointer."""

    method: str
    template: str
    pointer: str
    pattern: re.Pattern[str]
    query: frozenset[tuple[str, str]] = frozenset()  # e.g. ``?beta=true`` of beta operations

    @property
    def body(self) -> dict[str, Any]:
        """The operation object of the spec."""
        return _at(self.pointer)


# Loading


def document() -> dict[str, Any]:
    """The spec as a dict, with the known defects patched (as responses are checked)."""
    return _load(request=False)


@cache
def _load(*, request: bool) -> dict[str, Any]:
    """The spec with its known defects patched, for checking requests or responses."""
    doc: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    _null_unions(doc)
    schemas = doc["components"]["schemas"]
    _patch_defects(schemas)
    if request:
        schemas["FunctionTool"]["required"] = ["type", "name", "parameters"]
        _assistant_parts(schemas)
    return doc


def _assistant_parts(schemas: dict[str, Any]) -> None:
    """An input message of the assistant takes ``output_text`` and ``refusal`` parts.

    The real API requires them there (it refuses ``input_text`` in an assistant message:
    "Supported values are: 'output_text' and 'refusal'"); the spec lists input parts only.
    """
    said = {
        "type": "object",
        "properties": {
            "type": {"enum": ["output_text"]},
            "text": {"type": "string"},
            "annotations": {"type": "array"},
            "logprobs": {"type": "array"},
        },
        "required": ["type", "text"],
    }
    parts = {
        "type": "array",
        "items": {"anyOf": [said, {"$ref": "#/components/schemas/RefusalContent"}]},
    }
    content = schemas["EasyInputMessage"]["properties"]["content"]
    content["anyOf"] = [*content["anyOf"], parts]


def _null_unions(node: Any) -> None:
    """Rewrite ``nullable: true`` as a null union and ``oneOf`` as ``anyOf``, in place."""
    if isinstance(node, list):
        for item in node:
            _null_unions(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _null_unions(value)
    if isinstance(node.get("oneOf"), list):
        node["anyOf"] = node.pop("oneOf")
    if node.get("nullable") is not True:
        return
    del node["nullable"]
    kind = node.get("type")
    if isinstance(kind, str) and "$ref" not in node:
        node["type"] = [kind, "null"]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        return
    inner = {key: node.pop(key) for key in list(node) if key != "description"}
    node["anyOf"] = [inner, {"type": "null"}]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _patch_defects(schemas: dict[str, Any]) -> None:
    """Apply ``KNOWN_DEFECTS`` to the component schemas."""
    model_props = schemas["ModelResponseProperties"]["properties"]
    model_props["user"] = _nullable(model_props["user"])
    response_props = schemas["Response"]["allOf"][2]["properties"]
    response_props["usage"] = _nullable(response_props["usage"])
    response_props.setdefault("store", {"type": ["boolean", "null"]})
    for name in _NULLABLE_LIST_IDS:
        props = schemas[name]["properties"]
        for key in ("first_id", "last_id"):
            props[key] = _nullable(props[key])


@cache
def _registry(*, request: bool) -> Registry[Any]:
    resource = Resource.from_contents(_load(request=request), default_specification=DRAFT202012)
    return Registry().with_resource(_URI, resource)


def _at(pointer: str) -> Any:
    node: Any = document()
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _deref(pointer: str) -> str:
    """Follow ``$ref`` until the pointer names a schema that is not a bare reference."""
    node = _at(pointer)
    while isinstance(node, dict) and set(node) == {"$ref"}:
        pointer = node["$ref"].removeprefix("#")
        node = _at(pointer)
    return pointer


@cache
def validator(pointer: str, *, request: bool = False) -> Draft202012Validator:
    """A compiled validator of the schema at ``pointer`` (a JSON pointer into the spec).

    ``request`` picks the reading of the spec for requests (see ``KNOWN_DEFECTS``).
    """
    registry = _registry(request=request)
    return Draft202012Validator({"$ref": f"{_URI}#{pointer}"}, registry=registry)


@cache
def _fast_registry(*, request: bool) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(_URI, _load(request=request))])


@cache
def _fast(pointer: str, *, request: bool) -> jsonschema_rs.Draft202012Validator:
    """The compiled check of the schema at ``pointer``: valid or not, no explanation."""
    ref = {"$ref": f"{_URI}#{quote(pointer, safe='/~')}"}
    registry = _fast_registry(request=request)
    return jsonschema_rs.Draft202012Validator(ref, registry=registry, validate_formats=False)


def errors(pointer: str, instance: Any, *, request: bool = False) -> Iterable[ValidationError]:
    """Where ``instance`` breaks the schema at ``pointer``: nothing when it is valid."""
    if _fast(pointer, request=request).is_valid(instance):
        return ()
    return validator(pointer, request=request).iter_errors(instance)


# Operations


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the spec, the most literal path templates first."""
    found: list[Operation] = []
    for template, item in document()["paths"].items():
        route, _, query = template.partition("?")
        needs = frozenset(parse_qsl(query))
        for method in _HTTP_METHODS:
            if method in item:
                pointer = f"/paths/{_escape(template)}/{method}"
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route))
                found.append(Operation(method.upper(), route, pointer, re.compile(regex), needs))
    found.sort(key=lambda op: (not op.query, op.template.count("{"), -len(op.template)))
    return tuple(found)


def operation(method: str, path: str) -> Operation | None:
    """The spec's operation for a concrete call like ``GET /v1/threads/thread_abc``.

    A query in ``path`` picks the spec's operations that need one (``?beta=true``).
    """
    path, _, query = path.partition("?")
    asked = set(parse_qsl(query))
    path = path.rstrip("/").removeprefix("/v1") or "/"
    method = method.upper()
    for op in operations():
        if op.method == method and op.query <= asked and op.pattern.fullmatch(path):
            return op
    return None


# Requests


def request_problems(method: str, path: str, body: Any) -> list[Problem]:
    """Why the spec refuses this JSON request body (empty when it accepts it)."""
    pointer = request_schema(method, path)
    if pointer is None:
        return []
    unknown = _unknown_parameters(pointer, body)
    if unknown:
        return unknown
    found = errors(pointer, body, request=True)
    return [explain(error) for error in sorted(found, key=_error_order)]


def query_problems(method: str, path: str, query: Mapping[str, Sequence[str]]) -> list[Problem]:
    """Why the spec refuses these query parameters (name to its values)."""
    op = operation(method, path)
    if op is None:
        return []
    problems: list[Problem] = []
    for index in range(len(op.body.get("parameters", []))):
        where = _deref(f"{op.pointer}/parameters/{index}")
        spec = _at(where)
        if spec.get("in") != "query" or "schema" not in spec:
            continue
        name = spec["name"].removesuffix("[]")
        values = list(query.get(name, ())) or list(query.get(name + "[]", ()))
        if not values:
            continue
        problems += _query_value(where + "/schema", name, values)
    return problems


def _query_value(pointer: str, name: str, values: list[str]) -> list[Problem]:
    schema = _at(_deref(pointer))
    kind = schema.get("type")
    raw: Any = values if kind == "array" else values[-1]
    value = _coerce(raw, schema)
    found = errors(pointer, value, request=True)
    return [explain(error, root=name) for error in sorted(found, key=_error_order)]


def _coerce(raw: Any, schema: dict[str, Any]) -> Any:
    """A query string value as the JSON type its schema names (left as is if it is not)."""
    if isinstance(raw, list):
        items = schema.get("items", {})
        items = _at(_deref(items["$ref"][1:])) if "$ref" in items else items
        return [_coerce(item, items) for item in raw]
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def request_schema(method: str, path: str) -> str | None:
    """The pointer of the JSON request body schema of this call, if it takes one."""
    op = operation(method, path)
    return _json_schema_pointer(op, "/requestBody") if op else None


def _json_schema_pointer(op: Operation, where: str) -> str | None:
    pointer = _deref(op.pointer + where) if _exists(op.pointer + where) else None
    if pointer is None:
        return None
    content = _at(pointer).get("content", {})
    if "application/json" not in content or "schema" not in content["application/json"]:
        return None
    return f"{pointer}/content/application~1json/schema"


def _exists(pointer: str) -> bool:
    try:
        _at(pointer)
    except (KeyError, IndexError, ValueError):
        return False
    return True


def _unknown_parameters(pointer: str, body: Any) -> list[Problem]:
    """Top-level body keys the request schema does not declare."""
    if not isinstance(body, dict):
        return []
    known = known_properties(pointer)
    if known is None:
        return []
    return [
        Problem(key, "unknown_parameter", f"Unknown parameter: '{key}'.")
        for key in body
        if key not in known
    ]


@cache
def known_properties(pointer: str) -> frozenset[str] | None:
    """The property names a request schema declares (``None`` when it is open-ended)."""
    names: set[str] = set()
    pending = [_deref(pointer)]
    seen: set[str] = set()
    while pending:
        here = pending.pop()
        if here in seen:
            continue
        seen.add(here)
        node = _at(here)
        names.update(node.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(node.get(key, [])):
                pending.append(_deref(sub["$ref"][1:]) if "$ref" in sub else f"{here}/{key}/{i}")
        if "$ref" in node:
            pending.append(_deref(node["$ref"][1:]))
        if node.get("additionalProperties") not in (None, False):
            return None
    return frozenset(names) if names else None


# Responses and events


def response_problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """Where a JSON response body breaks the spec's schema for that operation and status."""
    op = operation(method, path)
    if op is None:
        return [f"the spec has no operation {method.upper()} {path}"]
    if status >= 400:
        return describe(errors("/components/schemas/ErrorResponse", body))
    responses = op.body.get("responses", {})
    key = next((k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None)
    pointer = _json_schema_pointer(op, f"/responses/{key}") if key else None
    if pointer is None:
        return []
    return describe(errors(pointer, body))


def event_problems(path: str, event: Mapping[str, Any]) -> list[str]:
    """Where a stream event breaks the spec.

    For the Responses API ``event`` is the event's JSON data (it carries ``type``); for the
    Assistants API it is ``{"event": name, "data": parsed data}`` (``[DONE]`` as a string).
    """
    if "/threads" in path:
        union, tag, value = "AssistantStreamEvent", "event", event.get("event")
    else:
        if "type" not in event and isinstance(event.get("data"), dict):
            event = event["data"]
        union, tag, value = "ResponseStreamEvent", "type", event.get("type")
    branches = _event_branches(union, tag)
    pointer = branches.get(value) if isinstance(value, str) else None
    if pointer is None:
        known = ", ".join(sorted(branches)[:5])
        return [f"{tag}: {value!r} is not an event the spec declares (e.g. {known}, ...)"]
    return describe(errors(pointer, dict(event)))


@cache
def _event_branches(union: str, tag: str) -> dict[str, str]:
    """Event name to the pointer of its schema, for a union of stream events."""
    found: dict[str, str] = {}
    pending = [f"/components/schemas/{union}"]
    while pending:
        here = _deref(pending.pop())
        node = _at(here)
        values = node.get("properties", {}).get(tag, {}).get("enum")
        if values:
            found.update(dict.fromkeys(values, here))
        for key in ("anyOf", "oneOf", "allOf"):
            pending += [f"{here}/{key}/{i}" for i in range(len(node.get(key, [])))]
    return found


@cache
def known_models() -> frozenset[str]:
    """Every model name the spec lists in an enum of model IDs."""
    schemas = document()["components"]["schemas"]
    names: set[str] = set()
    for name in ("ModelIdsShared", "ModelIdsResponses", "AssistantSupportedModels", "ChatModel"):
        _collect_strings(schemas.get(name, {}), names)
    return frozenset(names)


def _collect_strings(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        out.update(v for v in node.get("enum", []) if isinstance(v, str))
        for key in ("anyOf", "oneOf"):
            for sub in node.get(key, []):
                _collect_strings(_at(sub["$ref"][1:]) if "$ref" in sub else sub, out)


# Explaining errors


def _error_order(error: ValidationError) -> tuple[int, int]:
    """Shallow errors first; unknown keys and missing ones before wrong values."""
    rank = {"required": 0, "additionalProperties": 0, "type": 1}.get(str(error.validator), 2)
    return len(error.absolute_path), rank


def param_name(path: Iterable[Any]) -> str | None:
    """A body path as the API names it: ``tools[0].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def _value(error: ValidationError) -> Any:
    """The value of the keyword that failed (``required``'s list, ``enum``'s values...)."""
    return error.validator_value


def _instance(error: ValidationError) -> Any:
    """The part of the document that failed."""
    return error.instance


def _join(param: str | None, key: str) -> str:
    return f"{param}.{key}" if param else key


_TYPE_NAMES = {
    "boolean": "a boolean",
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "string"


def _expected(kinds: Iterable[str]) -> str:
    names = list(dict.fromkeys(kinds))
    shown = [k for k in names if k != "null"] or names
    words = [_TYPE_NAMES.get(k, k) for k in shown]
    return words[0] if len(words) == 1 else "one of " + ", ".join(words[:-1]) + " or " + words[-1]


def _quoted(values: Iterable[Any]) -> str:
    shown = [f"'{v}'" for v in values if v is not None]
    if len(shown) <= 2:
        return " and ".join(shown)
    return ", ".join(shown[:-1]) + ", and " + shown[-1]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _branches(error: ValidationError) -> dict[int, list[ValidationError]]:
    groups: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        groups.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    return groups


def _is_mismatch(errors: list[ValidationError], tag: str) -> bool:
    """Whether this union branch describes another kind of value (JSON type or ``tag``)."""
    for sub in errors:
        if sub.validator == "type" and not sub.relative_path:
            return True
        if list(sub.relative_path) == [tag] and sub.validator in ("enum", "const"):
            return True
    return False


def _descend(error: ValidationError) -> ValidationError:
    """From a failed ``anyOf``/``oneOf``, the error of the branch the value was meant for."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        fitting = [errs for errs in _branches(error).values() if not _is_mismatch(errs, "type")]
        if not fitting:
            break
        errs = min(fitting, key=len)
        error = min(errs, key=_error_order)
    return error


def explain(error: ValidationError, root: str | None = None) -> Problem:
    """A JSON-Schema error as the API's refusal: param, code and message.

    ``root`` names the value validated when it is not a body (a query parameter).
    """
    error = _descend(error)
    param = param_name([*([root] if root else []), *error.absolute_path])
    kind, value, instance = str(error.validator), _value(error), _instance(error)
    if kind == "required":
        missing = next((k for k in value if k not in instance), value[0])
        name = _join(param, missing)
        return Problem(name, "missing_required_parameter", f"Missing required parameter: '{name}'.")
    if kind in ("additionalProperties", "unevaluatedProperties"):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = next((k for k in instance if k not in declared), "")
        name = _join(param, extra)
        return Problem(name, "unknown_parameter", f"Unknown parameter: '{name}'.")
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return _type_problem(param, kinds, instance)
    if kind in ("enum", "const"):
        values = value if kind == "enum" else [value]
        return _value_problem(param, instance, values)
    if kind in ("anyOf", "oneOf"):
        return _union_problem(error, param)
    return _limit_problem(error, param) or Problem(
        param, "invalid_value", f"Invalid value for '{param}': {_short(error.message)}"
    )


def _type_problem(param: str | None, kinds: list[str], instance: Any) -> Problem:
    got = _TYPE_NAMES[_json_type(instance)]
    return Problem(
        param,
        "invalid_type",
        f"Invalid type for '{param}': expected {_expected(kinds)}, but got {got} instead.",
    )


def _value_problem(param: str | None, instance: Any, values: list[Any]) -> Problem:
    return Problem(
        param,
        "invalid_value",
        f"Invalid value: '{_short(instance)}'. Supported values are: {_quoted(values)}.",
    )


def _union_problem(error: ValidationError, param: str | None) -> Problem:
    """Nothing in the union fits: a wrong JSON type, or an unknown ``type`` tag."""
    groups = list(_branches(error).values())
    tags: list[Any] = []
    kinds: list[str] = []
    for errs in groups:
        for sub in errs:
            if list(sub.relative_path) == ["type"] and sub.validator in ("enum", "const"):
                tags += _value(sub) if sub.validator == "enum" else [_value(sub)]
            elif sub.validator == "type" and not sub.relative_path:
                value = _value(sub)
                kinds += value if isinstance(value, list) else [value]
    instance = _instance(error)
    if isinstance(instance, dict) and "type" in instance and tags:
        return _value_problem(_join(param, "type"), instance["type"], list(dict.fromkeys(tags)))
    if kinds and _json_type(instance) not in kinds:
        return _type_problem(param, kinds, instance)
    message = f"Invalid value for '{param}': it matches none of the allowed forms."
    return Problem(param, "invalid_value", message)


_LIMITS = {
    "minimum": ("below_min_value", "below minimum value", ">="),
    "exclusiveMinimum": ("below_min_value", "below minimum value", ">"),
    "maximum": ("above_max_value", "above maximum value", "<="),
    "exclusiveMaximum": ("above_max_value", "above maximum value", "<"),
}
_LENGTHS = {
    "minLength": ("string", "below_min_length", "too short", "minimum"),
    "maxLength": ("string", "above_max_length", "too long", "maximum"),
    "minItems": ("array", "below_min_length", "too short", "minimum"),
    "maxItems": ("array", "above_max_length", "too long", "maximum"),
    "minProperties": ("object", "below_min_properties", "too few properties", "minimum"),
    "maxProperties": ("object", "above_max_properties", "too many properties", "maximum"),
}


def _limit_problem(error: ValidationError, param: str | None) -> Problem | None:
    kind, value, instance = str(error.validator), _value(error), _instance(error)
    if kind in _LIMITS:
        code, words, sign = _LIMITS[kind]
        declared = error.schema.get("type") if isinstance(error.schema, dict) else None
        noun = "integer" if declared == "integer" else "decimal"
        return Problem(
            param,
            f"{noun}_{code}",
            f"Invalid '{param}': {noun} {words}. Expected a value {sign} {value}, "
            f"but got {instance} instead.",
        )
    if kind in _LENGTHS:
        noun, code, words, bound = _LENGTHS[kind]
        article = "an" if noun[0] in "aeiou" else "a"
        return Problem(
            param,
            f"{noun}_{code}",
            f"Invalid '{param}': {noun} {words}. Expected {article} {noun} with {bound} length "
            f"{value}, but got {article} {noun} with length {len(instance)} instead.",
        )
    return None


def describe(errors: Iterable[ValidationError]) -> list[str]:
    """Readable lines for response and event errors: ``where: what``."""
    lines = []
    for error in sorted(errors, key=_error_order):
        deep = _descend(error)
        where = param_name(deep.absolute_path) or "<root>"
        if deep.validator in ("anyOf", "oneOf"):
            what = f"matches none of its {len(_branches(deep))} allowed forms"
        else:
            what = deep.message if len(deep.message) <= 200 else deep.message[:197] + "..."
        lines.append(f"{where}: {what}")
    return lines
