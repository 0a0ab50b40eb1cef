"""JSON bodies as a real API writes them, whatever strings the server holds."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse as _StarletteJSON


def dumps(value: Any) -> str:
    """``value`` as JSON; a lone surrogate a client sent goes back as its JSON escape.

    UTF-8 cannot encode such a character, so the document is then written in ASCII, the
    way JSON escapes it on the wire; anything else keeps its characters as they are.
    """
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True)
    return text


class JSONResponse(_StarletteJSON):
    """Starlette's JSON response, rendered with :func:`dumps`."""

    def render(self, content: Any) -> bytes:
        """The body."""
        return dumps(content).encode("utf-8")
