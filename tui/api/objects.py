"""The server objects of a deep delete: deleting one, and asking whether it is still there.

Each adapter names the objects it deletes and, for each kind, the SDK call that deletes
one and the call that fetches it (:class:`Route`). :class:`ObjectCalls` checks an object's
IDs before any request (an ID that is not one of its kind never reaches a URL), and
translates what the server answers: a 404 is ``NotFound`` to :meth:`ObjectCalls.remove`
and ``False`` to :meth:`ObjectCalls.exists`; anything else raises its domain error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from tui.api.errors import Invalid, NotFound, Unsupported, translate
from tui.api.learning import Learned, family
from tui.ids import server_id_problem
from tui.model import Connection, Kind, ObjectKind, ServerObject

Call = Callable[[ServerObject], Awaitable[Any]]
"""A ``with_raw_response`` SDK call about one object."""

# The item kind an object kind is (its 404 then names it so); objects inside items have none.
KIND_OF = {
    ObjectKind.THREAD: Kind.THREAD,
    ObjectKind.CONVERSATION: Kind.CONVERSATION,
    ObjectKind.RESPONSE: Kind.RESPONSE,
    ObjectKind.COMPLETION: Kind.COMPLETION,
}
# The word each kind's IDs start with; ``None``: one token of letters, digits, _ and -
# (conversation items are msg_, fc_, rs_… by type; servers name files file- or file_).
STEM = {
    ObjectKind.THREAD: Kind.THREAD.stem,
    ObjectKind.CONVERSATION: Kind.CONVERSATION.stem,
    ObjectKind.CONVERSATION_ITEM: None,
    ObjectKind.RESPONSE: Kind.RESPONSE.stem,
    ObjectKind.COMPLETION: Kind.COMPLETION.stem,
    ObjectKind.FILE: None,
    ObjectKind.VECTOR_STORE: None,
}
PARENT = {ObjectKind.CONVERSATION_ITEM: ObjectKind.CONVERSATION}  # kinds that live in another


@dataclass(frozen=True, slots=True)
class Route:
    """How one kind of object is deleted and fetched.

    ``api`` is the API family its requests belong to, noted in the adapter's ``learned``
    (``None`` for objects of no family the adapter keeps: files, vector stores).
    """

    delete: Call
    fetch: Call
    api: str | None = None


def id_problem(obj: ServerObject) -> str | None:
    """Why ``obj`` cannot be asked about (an ID not of its kind, a missing parent), or ``None``."""
    problem = server_id_problem(obj.id, STEM[obj.kind])
    if problem is not None:
        return problem
    parent = PARENT.get(obj.kind)
    if parent is None:
        return None
    if not obj.parent:
        return f"a {obj.kind} needs the {parent} it is in"
    return server_id_problem(obj.parent, STEM[parent])


class ObjectCalls:
    """``remove`` and ``exists`` over an adapter's routes, every ID checked first."""

    def __init__(
        self,
        connection: Connection,
        routes: Mapping[ObjectKind, Route],
        *,
        holder: str,
        learned: Learned,
    ) -> None:
        self.connection = connection
        self.routes = routes
        self.holder = holder  # what the adapter's items are, for "… hold no file"
        self.learned = learned

    def _route(self, obj: ServerObject) -> Route:
        route = self.routes.get(obj.kind)
        if route is None:
            raise Unsupported(
                f"{self.holder} hold no {obj.kind} to delete or check ({obj.id}): nothing was sent."
            )
        problem = id_problem(obj)
        if problem is not None:
            raise Invalid(f"The {obj.kind} cannot be asked for: {problem}. Nothing was sent.")
        return route

    def _errors(self, obj: ServerObject) -> Any:
        return translate(self.connection, KIND_OF.get(obj.kind), obj.id)

    def _family(self, route: Route) -> AbstractContextManager[None]:
        return family(self.learned, route.api) if route.api else nullcontext()

    async def remove(self, obj: ServerObject) -> None:
        """Delete the object (``NotFound`` when the server has no such object)."""
        route = self._route(obj)
        with self._family(route), self._errors(obj):
            await route.delete(obj)

    async def exists(self, obj: ServerObject) -> bool:
        """Whether the server still gives the object (a 404 is ``False``; else its error)."""
        route = self._route(obj)
        try:
            with self._family(route), self._errors(obj):
                await route.fetch(obj)
        except NotFound:
            return False
        return True
