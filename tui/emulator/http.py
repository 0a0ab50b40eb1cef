"""JSON bodies as a real API writes them, whatever strings the server holds."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSON


def encoded(value: Any) -> bytes:
    """``value`` as UTF-8 JSON; a lone surrogate a client sent goes back as its JSON escape.

    UTF-8 cannot encode such a character (orjson refuses it), so the document is then
    written in ASCII, the way JSON escapes it on the wire; anything else keeps its
    characters as they are.
    """
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, or an integer over 64 bits
        return json.dumps(value, ensure_ascii=True).encode("ascii")


def dumps(value: Any) -> str:
    """``value`` as JSON text (see :func:`encoded`)."""
    return encoded(value).decode("utf-8")


class JSONResponse(_StarletteJSON):
    """Starlette's JSON response, rendered with :func:`encoded`."""

    def render(self, content: Any) -> bytes:
        """The body."""
        return encoded(content)
