"""Lists the real API does not offer, as other servers do: threads, conversations, responses.

api.openai.com cannot list threads or conversations for an API key; Azure AI Foundry's
agents list threads and OGX (formerly llama-stack) lists conversations and responses, with
the API's cursor paging. ``EmulatorConfig.listing`` names which this emulator offers, so
discovery can be tried against both kinds of server. Newest first unless ``order=asc``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator.http import JSONResponse
from tui.emulator.paging import Obj, OrderedStore
from tui.emulator.validate import list_params

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec
    from tui.emulator.state import Namespace

LISTABLE = ("threads", "conversations", "responses")


class ListingApi:
    """``GET /threads`` and ``GET /conversations``, when the configuration offers them."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """The list routes this emulator offers (none by default, as the real API)."""
        offered = self.emu.config.listing
        found: list[RouteSpec] = []
        if "threads" in offered:
            found.append(("/threads", ["GET"], self.list_threads))
        if "conversations" in offered:
            found.append(("/conversations", ["GET"], self.list_conversations))
        if "responses" in offered:
            found.append(("/responses", ["GET"], self.list_responses))
        return found

    async def list_threads(self, request: Request, ns: Namespace) -> Response:
        """``GET /threads``: every thread of the key, as Azure's agents list them."""
        return _page(request, (rec.obj for rec in ns.threads.values()))

    async def list_conversations(self, request: Request, ns: Namespace) -> Response:
        """``GET /conversations``: every conversation of the key, as OGX lists them."""
        return _page(request, (rec.obj for rec in ns.conversations.values()))

    async def list_responses(self, request: Request, ns: Namespace) -> Response:
        """``GET /responses``: every stored response of the key, as OGX lists them."""
        return _page(request, (rec.obj for rec in ns.responses.values()))


def _page(request: Request, objs: Iterable[Obj]) -> Response:
    ordered = OrderedStore()
    for obj in objs:
        ordered.add(obj)
    page = ordered.page(**list_params(request))
    return JSONResponse(page.body())
