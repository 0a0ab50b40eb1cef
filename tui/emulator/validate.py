"""Request validation with the real API's 400 messages."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from tui.emulator.errors import HttpError, invalid

MAX_METADATA_KEYS = 16
MAX_KEY_LEN = 64
MAX_VALUE_LEN = 512


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body (empty when there is none)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # too deep counts too
        raise invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means "
            "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
            "payload, but what was sent was not valid JSON.)"
        ) from exc
    if not isinstance(body, dict):
        raise invalid("Invalid body: expected an object.")
    return body


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Check metadata limits: 16 keys, keys up to 64 and values up to 512 characters."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid type for '{param}': expected an object.", param=param)
    if len(value) > MAX_METADATA_KEYS:
        raise invalid(
            f"Invalid '{param}': too many properties. Expected an object with at most "
            f"{MAX_METADATA_KEYS} properties, but got an object with {len(value)} "
            "properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > MAX_KEY_LEN:
            raise invalid(
                f"Invalid '{param}': key '{key[:20]}…' is too long. Expected a key with "
                f"maximum length {MAX_KEY_LEN}, but got a key with length {len(key)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        if not isinstance(item, str):
            raise invalid(
                f"Invalid type for '{param}.{key}': expected a string.",
                param=f"{param}.{key}",
                code="invalid_type",
            )
        if len(item) > MAX_VALUE_LEN:
            raise invalid(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length {MAX_VALUE_LEN}, but got a string with length {len(item)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def list_params(request: Request, *, before: bool = True) -> dict[str, Any]:
    """``limit`` (1-100, default 20), ``order`` (default desc), ``after``, ``before``."""
    query = request.query_params
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError as exc:
        raise invalid(
            f"Invalid 'limit': expected an integer, but got '{raw_limit}' instead.",
            param="limit",
            code="invalid_type",
        ) from exc
    if limit < 1:
        raise invalid(
            f"Invalid 'limit': integer below minimum value. Expected a value >= 1, "
            f"but got {limit} instead.",
            param="limit",
            code="integer_below_min_value",
        )
    if limit > 100:
        raise invalid(
            f"Invalid 'limit': integer above maximum value. Expected a value <= 100, "
            f"but got {limit} instead.",
            param="limit",
            code="integer_above_max_value",
        )
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid(
            f"Invalid value for 'order': expected one of 'asc' or 'desc', got '{order}'.",
            param="order",
            code="invalid_value",
        )
    params: dict[str, Any] = {"limit": limit, "order": order, "after": query.get("after")}
    if before:
        params["before"] = query.get("before")
    return params


def require(body: dict[str, Any], name: str) -> Any:
    """A required body parameter."""
    if body.get(name) in (None, ""):
        raise invalid(
            f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
        )
    return body[name]


def server_error() -> HttpError:
    """The generic 500 the real API answers."""
    return HttpError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        type="server_error",
    )


def parse_bool(value: Any) -> bool:
    """A boolean from a JSON body or query string value."""
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


async def check_request(request: Request) -> None:
    """Refuse a request the spec's schemas refuse, before its handler runs.

    Query parameters the spec declares and JSON bodies are checked; the first problem is
    answered as the real API does (400, with its ``param`` and ``code``), then the model.
    """
    from tui.emulator import spec

    method, path = request.method, request.url.path
    if request.url.query:  # the spec has operations of their own for some (``?beta=true``)
        path = f"{path}?{request.url.query}"
    query = {key: request.query_params.getlist(key) for key in request.query_params}
    problems = spec.query_problems(method, path, query)
    body: Any = None
    if not problems and spec.request_schema(method, path) is not None:
        body = await json_body(request)
        problems = spec.request_problems(method, path, body)
    if problems:
        first = problems[0]
        raise invalid(first.message, param=first.param, code=first.code)
    if isinstance(body, dict) and isinstance(body.get("model"), str) and "/chat/" not in path:
        check_model(body["model"])


def check_model(model: Any) -> None:
    """Refuse a model the real API does not know (400 ``model_not_found``)."""
    from tui.emulator import models, spec

    if models.is_known(model) or model in spec.known_models():
        return
    raise models.requested_model_missing(str(model))


def id_list(value: Any, param: str, limit: int, what: str = "IDs") -> list[str]:
    """An optional array of at most ``limit`` IDs, refused as the real API refuses it."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise invalid(f"Invalid '{param}': expected an array of {what}.", param, "invalid_type")
    if len(value) > limit:
        raise invalid(
            f"Invalid '{param}': array too long. Expected an array with maximum length "
            f"{limit}, but got an array with length {len(value)} instead.",
            param,
            code="array_above_max_length",
        )
    return list(value)
