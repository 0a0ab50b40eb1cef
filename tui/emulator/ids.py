"""Seeded generation of IDs shaped like the real API's."""

from __future__ import annotations

import random
import string

_BASE62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"

# Assistants objects use 24 base-62 characters; Responses objects 48 hex digits.
_SHAPES: dict[str, tuple[str, int]] = {
    "thread": (_BASE62, 24),
    "msg": (_BASE62, 24),
    "run": (_BASE62, 24),
    "step": (_BASE62, 24),
    "asst": (_BASE62, 24),
    "call": (_BASE62, 24),
    "conv": (_HEX, 48),
    "resp": (_HEX, 48),
    "item": (_HEX, 48),
    "fc": (_HEX, 48),
    "fco": (_HEX, 48),
    "rs": (_HEX, 48),  # reasoning items
    "ws": (_HEX, 48),  # web search calls
    "req": (_HEX, 32),
}


class IdFactory:
    """Makes IDs like ``thread_abc…`` from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def new(self, prefix: str) -> str:
        """A fresh ID with this prefix (``msg`` in conversations uses ``item``'s shape)."""
        alphabet, length = _SHAPES[prefix]
        return f"{prefix}_" + self._draw(alphabet, length)

    def conversation_message(self) -> str:
        """A ``msg_`` ID shaped like the Responses API's (48 hex digits)."""
        return "msg_" + self._draw(_HEX, 48)

    def _draw(self, alphabet: str, length: int) -> str:
        """``length`` characters of ``alphabet``: what ``rng.choices`` draws, made faster."""
        draw, size = self._rng.random, len(alphabet)
        return "".join([alphabet[int(draw() * size)] for _ in range(length)])
