"""Vector stores and the files attached to them, shaped like the real API's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tui.emulator import objects
from tui.emulator.errors import HttpError, invalid, not_found
from tui.emulator.http import JSONResponse
from tui.emulator.paging import OrderedStore
from tui.emulator.state import Namespace
from tui.emulator.validate import id_list, json_body, list_params, metadata

if TYPE_CHECKING:
    from tui.emulator.app import Emulator, RouteSpec

Obj = dict[str, Any]
DAY = 86_400
MAX_FILE_IDS = 500
FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")
AUTO_CHUNKS = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}


def new_vector_store_id(emulator: Emulator) -> str:
    """A ``vs_`` ID of 24 base-62 characters from the emulator's seeded IDs."""
    return "vs_" + emulator.ids.new("asst").removeprefix("asst_")


def find_vector_store(ns: Namespace, vector_store_id: str) -> Obj:
    """The vector store with this ID, or the API's 404."""
    obj = ns.vector_stores.get(vector_store_id)
    if obj is None:
        raise not_found("vector store", vector_store_id)
    return obj


def _expiry(value: Any, param: str) -> Obj | None:
    if value is None:
        return None
    days = value.get("days") if isinstance(value, dict) else None
    anchor = value.get("anchor") if isinstance(value, dict) else None
    if anchor != "last_active_at" or not isinstance(days, int) or not 1 <= days <= 365:
        raise invalid(
            f"Invalid '{param}': expected an object with 'anchor' set to 'last_active_at' "
            "and 'days' between 1 and 365.",
            param,
            code="invalid_value",
        )
    return {"anchor": anchor, "days": days}


def _set_expiry(obj: Obj, policy: Obj | None) -> None:
    obj.pop("expires_after", None)
    obj["expires_at"] = None
    if policy is not None:
        obj["expires_after"] = policy
        obj["expires_at"] = obj["last_active_at"] + policy["days"] * DAY


def _chunking(value: Any) -> Obj:
    """The chunking strategy a vector store file reports (``auto`` reads as static 800/400)."""
    if isinstance(value, dict) and value.get("type") == "static":
        static = value.get("static")
        if isinstance(static, dict):
            return {"type": "static", "static": dict(static)}
    return {"type": "static", "static": dict(AUTO_CHUNKS)}


def _file_ids(value: Any, param: str = "file_ids") -> list[str]:
    return id_list(value, param, MAX_FILE_IDS, "file IDs")


def recount(ns: Namespace, vector_store_id: str) -> None:
    """Bring a vector store's ``file_counts`` and ``usage_bytes`` in line with its files."""
    store = ns.vector_stores.get(vector_store_id)
    if store is None:
        return
    files = list(ns.vector_store_files.get(vector_store_id, OrderedStore()))
    counts = {status: 0 for status in FILE_STATUSES}
    for entry in files:
        counts[entry["status"]] += 1
    store["file_counts"] = {**counts, "total": len(files)}
    store["usage_bytes"] = sum(entry["usage_bytes"] for entry in files)


def attach(ns: Namespace, vector_store_id: str, body: Obj, param: str = "file_id") -> Obj:
    """Attach an uploaded file to a vector store (attaching it again answers the same object)."""
    file_id = body.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise invalid(
            f"Missing required parameter: '{param}'.", param, code="missing_required_parameter"
        )
    upload = ns.files.get(file_id)
    if upload is None:
        raise invalid(
            f"No file found with id '{file_id}'. Upload it with POST /v1/files first.", param
        )
    files = ns.vector_store_files.setdefault(vector_store_id, OrderedStore())
    entry = files.get(file_id)
    if entry is None:
        attributes = body.get("attributes")
        entry = files.add(
            {
                "id": file_id,
                "object": "vector_store.file",
                "usage_bytes": upload["bytes"],
                "created_at": objects.now(),
                "vector_store_id": vector_store_id,
                "status": "completed",
                "last_error": None,
                "chunking_strategy": _chunking(body.get("chunking_strategy")),
                "attributes": dict(attributes) if isinstance(attributes, dict) else {},
            }
        )
        recount(ns, vector_store_id)
    return entry


def detach_everywhere(ns: Namespace, file_id: str) -> None:
    """Remove a deleted file from every vector store, as deleting a file does."""
    for vector_store_id, files in ns.vector_store_files.items():
        if files.remove(file_id) is not None:
            recount(ns, vector_store_id)


def create_vector_store(emulator: Emulator, ns: Namespace, body: Obj, param: str = "") -> Obj:
    """A new vector store from a create body, with its ``file_ids`` attached."""
    where = f"{param}." if param else ""
    file_ids = _file_ids(body.get("file_ids"), f"{where}file_ids")
    created = objects.now()
    name = body.get("name")
    obj: Obj = {
        "id": new_vector_store_id(emulator),
        "object": "vector_store",
        "created_at": created,
        "name": name if isinstance(name, str) else "",
        "usage_bytes": 0,
        "file_counts": {status: 0 for status in (*FILE_STATUSES, "total")},
        "status": "completed",
        "last_active_at": created,
        "metadata": metadata(body.get("metadata"), f"{where}metadata"),
    }
    _set_expiry(obj, _expiry(body.get("expires_after"), f"{where}expires_after"))
    ns.vector_stores.add(obj)
    ns.vector_store_files[obj["id"]] = OrderedStore()
    strategy = body.get("chunking_strategy")
    for index, file_id in enumerate(file_ids):
        spec = {"file_id": file_id, "chunking_strategy": strategy}
        attach(ns, obj["id"], spec, f"{where}file_ids[{index}]")
    return obj


class VectorStoresApi:
    """Handlers for ``/vector_stores`` and ``/vector_stores/{id}/files``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[RouteSpec]:
        """Path, methods and handler of every route."""
        store = "/vector_stores/{vector_store_id}"
        return [
            ("/vector_stores", ["POST"], self.create),
            ("/vector_stores", ["GET"], self.list),
            (store, ["GET"], self.retrieve),
            (store, ["POST"], self.update),
            (store, ["DELETE"], self.delete),
            (store + "/files", ["POST"], self.create_file),
            (store + "/files", ["GET"], self.list_files),
            (store + "/files/{file_id}", ["GET"], self.retrieve_file),
            (store + "/files/{file_id}", ["POST"], self.update_file),
            (store + "/files/{file_id}", ["DELETE"], self.delete_file),
        ]

    async def create(self, request: Request, ns: Namespace) -> Response:
        """``POST /vector_stores``."""
        return JSONResponse(create_vector_store(self.emu, ns, await json_body(request)))

    async def list(self, request: Request, ns: Namespace) -> Response:
        """``GET /vector_stores``."""
        return JSONResponse(ns.vector_stores.page(**list_params(request)).body())

    async def retrieve(self, request: Request, ns: Namespace) -> Response:
        """``GET /vector_stores/{id}``."""
        return JSONResponse(find_vector_store(ns, request.path_params["vector_store_id"]))

    async def update(self, request: Request, ns: Namespace) -> Response:
        """``POST /vector_stores/{id}`` (name, expiry policy, metadata)."""
        obj = find_vector_store(ns, request.path_params["vector_store_id"])
        body = await json_body(request)
        if "metadata" in body:
            obj["metadata"] = metadata(body["metadata"])
        if isinstance(body.get("name"), str):
            obj["name"] = body["name"]
        if "expires_after" in body:
            _set_expiry(obj, _expiry(body["expires_after"], "expires_after"))
        return JSONResponse(obj)

    async def delete(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /vector_stores/{id}`` (the files themselves stay uploaded)."""
        obj = find_vector_store(ns, request.path_params["vector_store_id"])
        ns.vector_stores.remove(obj["id"])
        ns.vector_store_files.pop(obj["id"], None)
        return JSONResponse({"id": obj["id"], "object": "vector_store.deleted", "deleted": True})

    def _files(self, request: Request, ns: Namespace) -> OrderedStore:
        obj = find_vector_store(ns, request.path_params["vector_store_id"])
        return ns.vector_store_files.setdefault(obj["id"], OrderedStore())

    def _file(self, request: Request, ns: Namespace) -> Obj:
        files = self._files(request, ns)
        file_id = request.path_params["file_id"]
        entry = files.get(file_id)
        if entry is None:
            vector_store_id = request.path_params["vector_store_id"]
            raise HttpError(
                404, f"No file found with id '{file_id}' in vector store '{vector_store_id}'."
            )
        return entry

    async def create_file(self, request: Request, ns: Namespace) -> Response:
        """``POST /vector_stores/{id}/files``."""
        self._files(request, ns)
        body = await json_body(request)
        return JSONResponse(attach(ns, request.path_params["vector_store_id"], body))

    async def list_files(self, request: Request, ns: Namespace) -> Response:
        """``GET /vector_stores/{id}/files`` (``filter`` by status)."""
        files = self._files(request, ns)
        params = list_params(request)
        wanted = request.query_params.get("filter")
        if wanted is None:
            return JSONResponse(files.page(**params).body())
        if wanted not in FILE_STATUSES:
            raise invalid(
                f"Invalid value for 'filter': expected one of {', '.join(FILE_STATUSES)}, "
                f"but got '{wanted}' instead.",
                "filter",
                code="invalid_value",
            )
        subset = OrderedStore()
        for entry in files:
            if entry["status"] == wanted:
                subset.add(entry)
        return JSONResponse(subset.page(**params).body())

    async def retrieve_file(self, request: Request, ns: Namespace) -> Response:
        """``GET /vector_stores/{id}/files/{file_id}``."""
        return JSONResponse(self._file(request, ns))

    async def update_file(self, request: Request, ns: Namespace) -> Response:
        """``POST /vector_stores/{id}/files/{file_id}`` (attributes)."""
        entry = self._file(request, ns)
        attributes = (await json_body(request)).get("attributes")
        entry["attributes"] = dict(attributes) if isinstance(attributes, dict) else {}
        return JSONResponse(entry)

    async def delete_file(self, request: Request, ns: Namespace) -> Response:
        """``DELETE /vector_stores/{id}/files/{file_id}`` (the file itself stays uploaded)."""
        entry = self._file(request, ns)
        self._files(request, ns).remove(entry["id"])
        recount(ns, entry["vector_store_id"])
        return JSONResponse(
            {"id": entry["id"], "object": "vector_store.file.deleted", "deleted": True}
        )
