"""Titles: ``metadata.title``, else the first line of the first user message, else the ID."""

from __future__ import annotations

from collections.abc import Mapping

from tui.model import TitleSource

MAX_TITLE = 200


def first_line(text: str) -> str:
    """The first non-blank line, trimmed and capped."""
    for line in text.splitlines():
        stripped = " ".join(line.split())
        if stripped:
            return stripped[:MAX_TITLE]
    return ""


def derive(
    item_id: str, metadata: Mapping[str, str], first_user_text: str | None = None
) -> tuple[str, TitleSource]:
    """The automatic title of an item, and where it came from."""
    meta_title = first_line(metadata.get("title", ""))
    if meta_title:
        return meta_title, TitleSource.METADATA
    line = first_line(first_user_text or "")
    if line:
        return line, TitleSource.MESSAGE
    return item_id, TitleSource.ID
