"""The models the emulator serves: ``GET /models``, ``GET /models/{model}`` and model checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator.errors import HttpError
from tui.emulator.http import JSONResponse

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec
    from tui.emulator.state import Namespace


@dataclass(frozen=True)
class ModelCard:
    """One model of the catalogue, as ``GET /models`` lists it."""

    id: str
    created: int
    owned_by: str = "system"

    def body(self, model_id: str | None = None) -> dict[str, Any]:
        """The ``model`` object (``model_id`` names a snapshot or fine-tune of this model)."""
        return {
            "id": model_id or self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
        }


# gpt-4.1 first: a picker that takes the first model gets a model without reasoning items.
CATALOGUE: tuple[ModelCard, ...] = (
    ModelCard("gpt-4.1", 1744316542),
    ModelCard("gpt-4.1-mini", 1744318173),
    ModelCard("gpt-4o", 1715367049),
    ModelCard("o4-mini", 1744225351),
    ModelCard("gpt-4.1-nano", 1744321707),
    ModelCard("gpt-4o-mini", 1721172741),
    ModelCard("gpt-5", 1754425777),
    ModelCard("gpt-5-mini", 1754425928),
    ModelCard("gpt-5-nano", 1754426384),
    ModelCard("o3", 1744225308),
    ModelCard("o3-mini", 1737146383),
    ModelCard("gpt-4-turbo", 1712361441),
    ModelCard("gpt-3.5-turbo", 1677610602, "openai"),
)
SPEC_MODEL_CREATED = 1_700_000_000  # for a model the spec names that the catalogue lacks
MODELS: tuple[str, ...] = tuple(card.id for card in CATALOGUE)
_BY_ID = {card.id: card for card in CATALOGUE}
_SNAPSHOT = re.compile(r"(?P<base>.+)-\d{4}-\d{2}-\d{2}")
_FINE_TUNE = re.compile(r"ft:(?P<base>[^:]+):.*")


def card(model_id: str) -> ModelCard | None:
    """The entry of a model (or of the model a dated snapshot or fine-tune is of).

    Besides the catalogue, every model ID the spec lists in its model enums is known.
    """
    from tui.emulator import spec

    if model_id in _BY_ID:
        return _BY_ID[model_id]
    for pattern in (_SNAPSHOT, _FINE_TUNE):
        match = pattern.fullmatch(model_id)
        if match and match.group("base") in _BY_ID:
            return _BY_ID[match.group("base")]
    if model_id in spec.known_models():
        return ModelCard(model_id, SPEC_MODEL_CREATED)
    return None


def is_known(model_id: Any) -> bool:
    """Whether requests may name this model."""
    return isinstance(model_id, str) and card(model_id) is not None


def _no_access(model_id: str, quote: str) -> HttpError:
    return HttpError(
        404,
        f"The model {quote}{model_id}{quote} does not exist or you do not have access to it.",
        code="model_not_found",
    )


def not_found(model_id: str) -> HttpError:
    """The 404 of ``GET /models/{model}`` for a model the key cannot see."""
    return _no_access(model_id, "'")


def chat_model_not_found(model_id: str) -> HttpError:
    """The 404 of ``POST /chat/completions`` for an unknown model (it quotes with backticks)."""
    return _no_access(model_id, "`")


def requested_model_missing(model_id: str) -> HttpError:
    """The 400 of the Responses and Assistants routes for an unknown model."""
    return HttpError(
        400,
        f"The requested model '{model_id}' does not exist.",
        param="model",
        code="model_not_found",
    )


class ModelsApi:
    """Handlers for ``/models``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        return [
            ("/models", ["GET"], self.list_models),
            ("/models/{model}", ["GET"], self.get_model),
        ]

    async def list_models(self, request: Request, ns: Namespace) -> Response:
        """``GET /models``."""
        return JSONResponse({"object": "list", "data": [c.body() for c in CATALOGUE]})

    async def get_model(self, request: Request, ns: Namespace) -> Response:
        """``GET /models/{model}``."""
        model_id = request.path_params["model"]
        found = card(model_id)
        if found is None:
            raise not_found(model_id)
        return JSONResponse(found.body(model_id))
