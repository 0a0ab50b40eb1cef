"""What a thread holds on the server besides its messages, read leniently.

A thread's messages name files (``attachments[].file_id``, and ``image_file.file_id``
content parts); its ``tool_resources`` name files (``code_interpreter.file_ids``) and
vector stores (``file_search.vector_store_ids``); an assistant's ``tool_resources`` name
the same kinds. A reference that cannot be read (not a string, not an ID) is counted and
left out, never a failure of the rest: a hostile ID never becomes a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.api import convert
from tui.api.convert import get
from tui.api.errors import BadShape
from tui.model import ObjectKind, ServerObject

NAME_LIMIT = 60  # characters of an assistant's name shown as the user of an object


@dataclass(frozen=True, slots=True)
class Found:
    """The objects some server object names, and how many references could not be read."""

    objects: tuple[ServerObject, ...] = ()
    unreadable: int = 0

    def __add__(self, other: Found) -> Found:
        return Found(self.objects + other.objects, self.unreadable + other.unreadable)


def _refs(kind: ObjectKind, holders: Iterable[Any], field: str) -> Found:
    """The ``field`` ID of each of ``holders`` as ``kind`` objects (unreadable ones counted)."""
    found: list[ServerObject] = []
    bad = 0
    for holder in holders:
        try:
            ref = convert.optional_ident(holder, field)
        except BadShape:
            bad += 1
            continue
        if ref is not None:
            found.append(ServerObject(kind, ref))
    return Found(tuple(found), bad)


def _ids(kind: ObjectKind, value: object) -> Found:
    """A list of IDs as ``kind`` objects (a value that is not a list is one unreadable)."""
    if value is None:
        return Found()
    if not isinstance(value, list | tuple):
        return Found(unreadable=1)
    return _refs(kind, ({"id": v} for v in value[: convert.MAX_PARTS]), "id")


def _listed(value: object) -> Sequence[Any]:
    return value[: convert.MAX_PARTS] if isinstance(value, list | tuple) else ()


def message_files(message: Any) -> tuple[str, Found]:
    """A listed thread message's ID and the files it names (``BadShape``: no usable ID)."""
    message_id = convert.ident(convert.obj_of(message, "message"))
    attached = _refs(ObjectKind.FILE, _listed(get(message, "attachments")), "file_id")
    images = [get(part, "image_file") for part in _listed(get(message, "content"))]
    shown = _refs(ObjectKind.FILE, (i for i in images if i is not None), "file_id")
    return message_id, attached + shown


def resources(holder: Any) -> Found:
    """The files and vector stores of a thread's or an assistant's ``tool_resources``."""
    tools = get(holder, "tool_resources")
    files = _ids(ObjectKind.FILE, get(get(tools, "code_interpreter"), "file_ids"))
    stores = _ids(ObjectKind.VECTOR_STORE, get(get(tools, "file_search"), "vector_store_ids"))
    return files + stores


def unique(objects: Iterable[ServerObject]) -> list[ServerObject]:
    """The objects, each once, in the order first named."""
    return list(dict.fromkeys(objects))


def assistant_uses(assistant: Any) -> tuple[str, tuple[str, Found]]:
    """A listed assistant's ID, and its short name with what its ``tool_resources`` use."""
    assistant_id = convert.ident(convert.obj_of(assistant, "assistant"), prefix="asst")
    name = (convert.label(get(assistant, "name")) or "").strip()
    if len(name) > NAME_LIMIT:
        name = name[: NAME_LIMIT - 1] + "…"
    who = f"assistant {assistant_id} ({name})" if name else f"assistant {assistant_id}"
    return assistant_id, (who, resources(assistant))


def users_of(
    objects: Sequence[ServerObject], assistants: Iterable[tuple[str, Found]]
) -> dict[str, str]:
    """Which of ``objects`` an assistant uses: object ID -> the first such assistant."""
    wanted = {(o.kind, o.id) for o in objects}
    users: dict[str, str] = {}
    for who, uses in assistants:
        for used in uses.objects:
            if (used.kind, used.id) in wanted:
                users.setdefault(used.id, who)
    return users
