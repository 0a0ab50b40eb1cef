"""Uploaded files: multipart upload, listing, content and deletion, like the real API."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator import objects
from tui.emulator.errors import HttpError, invalid
from tui.emulator.http import JSONResponse
from tui.emulator.paging import OrderedStore
from tui.emulator.state import Namespace
from tui.emulator.vector_stores import detach_everywhere

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec

Obj = dict[str, Any]
PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_LIST = 10_000
BATCH_LIFETIME = 30 * 86_400
MIN_LIFETIME, MAX_LIFETIME = 3_600, 2_592_000
_FORM_HINT = (
    "Send the upload as multipart/form-data with a 'file' part and a 'purpose' field "
    "(the SDK's files.create does this)."
)


def new_file_id(emulator: Emulator) -> str:
    """A ``file-`` ID of 22 base-62 characters from the emulator's seeded IDs."""
    return "file-" + emulator.ids.new("asst").removeprefix("asst_")[:22]


def find_file(ns: Namespace, file_id: str) -> Obj:
    """The uploaded file with this ID, or the API's 404."""
    obj = ns.files.get(file_id)
    if obj is None:
        raise HttpError(404, f"No such File object: {file_id}", param="id")
    return obj


def _parts(request: Request, raw: bytes) -> dict[str, EmailMessage]:
    """The parts of a multipart/form-data body, by field name."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise invalid(f"Invalid content type '{content_type or 'none'}'. {_FORM_HINT}")
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise invalid(f"The multipart body could not be read. {_FORM_HINT}")
    parts: dict[str, EmailMessage] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and isinstance(part, EmailMessage):
            parts[name] = part
    return parts


def _payload(part: EmailMessage) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _text(parts: dict[str, EmailMessage], name: str) -> str | None:
    part = parts.get(name)
    return None if part is None else _payload(part).decode("utf-8", "replace")


def _purpose(parts: dict[str, EmailMessage]) -> str:
    purpose = _text(parts, "purpose")
    if not purpose:
        raise invalid(
            "Missing required parameter: 'purpose'.", "purpose", code="missing_required_parameter"
        )
    if purpose not in PURPOSES:
        raise invalid(
            f"Invalid value for 'purpose': expected one of {', '.join(PURPOSES)}, but got "
            f"'{purpose}' instead.",
            "purpose",
            code="invalid_value",
        )
    return purpose


def _lifetime(parts: dict[str, EmailMessage], purpose: str) -> int | None:
    """Seconds until the file expires (batch files: 30 days unless told), or ``None``."""
    anchor = _text(parts, "expires_after[anchor]")
    seconds = _text(parts, "expires_after[seconds]")
    if anchor is None and seconds is None:
        return BATCH_LIFETIME if purpose == "batch" else None
    if anchor != "created_at" or not (seconds or "").isdigit():
        raise invalid(
            "Invalid 'expires_after': expected 'anchor' set to 'created_at' and 'seconds' "
            "as a whole number.",
            "expires_after",
            code="invalid_value",
        )
    value = int(seconds or 0)
    if not MIN_LIFETIME <= value <= MAX_LIFETIME:
        raise invalid(
            f"Invalid 'expires_after.seconds': expected a value between {MIN_LIFETIME} and "
            f"{MAX_LIFETIME}, but got {value} instead.",
            "expires_after.seconds",
            code="invalid_value",
        )
    return value


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(MAX_LIST))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST:
        raise invalid(
            f"Invalid 'limit': expected an integer between 1 and {MAX_LIST}, but got '{raw}' "
            "instead.",
            "limit",
            code="invalid_value",
        )
    return int(raw)


def _order(request: Request) -> str:
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid(
            f"Invalid value for 'order': expected one of 'asc' or 'desc', got '{order}'.",
            "order",
            code="invalid_value",
        )
    return order


class FilesApi:
    """Handlers for ``/files``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        one = "/files/{file_id}"
        return [
            ("/files", ["POST"], self.create),
            ("/files", ["GET"], self.list),
            (one, ["GET"], self.retrieve),
            (one, ["DELETE"], self.delete),
            (one + "/content", ["GET"], self.content),
        ]

    async def create(self, request: Request, ns: Namespace) -> Response:
        """``POST /files`` (multipart: ``file``, ``purpose``, optional ``expires_after``)."""
        parts = _parts(request, await request.body())
        upload = parts.get("file")
        if upload is None or upload.get_filename() is None:
            raise invalid(
                f"Missing required parameter: 'file'. {_FORM_HINT}",
                "file",
                code="missing_required_parameter",
            )
        purpose = _purpose(parts)
        lifetime = _lifetime(parts, purpose)
        data = _payload(upload)
        created = objects.now()
        obj: Obj = {
            "id": new_file_id(self.emu),
            "object": "file",
            "bytes": len(data),
            "created_at": created,
            "filename": upload.get_filename() or "upload",
            "purpose": purpose,
            "status": "processed",
        }
        if lifetime is not None:
            obj["expires_at"] = created + lifetime
        ns.files.add(obj)
        ns.file_data[obj["id"]] = data
        return JSONResponse(obj)

    async def list(self, request: Request, ns: Namespace) -> Response:
        """``GET /files`` (``purpose`` filter; ``limit`` up to 10,000, ``order``, ``after``)."""
        files = ns.files
        purpose = request.query_params.get("purpose")
        if purpose is not None:
            files = OrderedStore()
            for obj in ns.files:
                if obj["purpose"] == purpose:
                    files.add(obj)
        after = request.query_params.get("after")
        page = files.page(limit=_limit(request), order=_order(request), after=after)
        return JSONResponse(page.body())

    async def retrieve(self, request: Request, ns: Namespace) -> Response:
        """``GET /files/{id}``."""
        return JSONResponse(find_file(ns, request.path_params["file_id"]))

    async def content(self, request: Request, ns: Namespace) -> Response:
        """``GET /files/{id}/content`` (the bytes as uploaded)."""
        obj = find_file(ns, request.path_params["file_id"])
        return Response(ns.file_data[obj["id"]], media_type="application/octet-stream")

    async def delete(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /files/{id}``: the file goes, and with it its place in every vector store.

        Threads and assistants that name it in ``tool_resources`` keep the ID.
        """
        obj = find_file(ns, request.path_params["file_id"])
        ns.files.remove(obj["id"])
        ns.file_data.pop(obj["id"], None)
        detach_everywhere(ns, obj["id"])
        return JSONResponse({"id": obj["id"], "object": "file", "deleted": True})
