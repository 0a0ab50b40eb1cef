"""The hostile content corpus of ``tests/data/hostile.json``, expanded into message texts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
INVALID_UTF8 = DATA / "invalid-utf8.log"
# What must never reach a terminal from content: ESC, C0 but newline and tab, DEL, C1,
# and the bidi embeddings, overrides and isolates.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Invisible characters whose width terminals disagree on: never on screen either.
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u2060-\u2064\ufeff\U000e0000-\U000e007f]")


@dataclass(frozen=True, slots=True)
class Hostile:
    """One corpus entry: its name and the message text."""

    name: str
    text: str

    @property
    def large(self) -> bool:
        """Too large to compare word by word on screen."""
        return len(self.text) > 20_000 or self.text.count("\n") > 200


def _expand(entry: dict[str, Any]) -> str:
    if "repeat" in entry:
        unit, size = entry["repeat"], entry["to_chars"]
        return (unit * (size // len(unit) + 1))[:size]
    if "lines" in entry:
        return "\n".join(entry["line"].format(n=n) for n in range(entry["lines"]))
    if "nest" in entry:
        nest, depth, text = entry["nest"], entry["depth"], entry["text"]
        if entry.get("each_line"):
            return "\n".join(nest * n + text for n in range(depth))
        return nest * depth + text
    if "wrap" in entry:
        left, right = entry["wrap"]
        return left * entry["depth"] + entry["text"] + right * entry["depth"]
    return entry["text"]


def corpus() -> list[Hostile]:
    """Every entry of the corpus, expanded."""
    raw = json.loads((DATA / "hostile.json").read_text(encoding="utf-8"))
    return [Hostile(e["name"], _expand(e)) for e in raw["entries"]]


def words(text: str) -> list[str]:
    """The plain words of ``text`` a reader must see (letters and digits, 4 or more)."""
    return re.findall(r"[A-Za-z]{4,}", text)


def leaked(text: str) -> list[str]:
    """The characters of ``text`` that must never reach a terminal, escaped, each once.

    ESC (so every escape sequence), BEL, the other C0 controls but newline and tab, DEL,
    C1 (a lone CSI or OSC introducer), and the bidi embeddings, overrides and isolates.
    """
    return sorted({repr(c) for c in FORBIDDEN.findall(text)})
