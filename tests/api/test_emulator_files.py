"""Files, vector stores and a thread's tool_resources, as the real API keeps them."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tui.emulator import spec

DATA = b"line one\r\nline two\n\x00\xff binary tail"
DAY = 86_400


def upload(client, name: str = "notes.txt", data: bytes = DATA, purpose: str = "assistants"):
    return client.files.create(file=(name, data), purpose=purpose)


def valid(raw: Any, method: str, path: str) -> dict[str, Any]:
    """The JSON body of a raw SDK answer, checked against the spec's schema for the route."""
    body = json.loads(raw.http_response.content)
    assert spec.response_problems(method, path, raw.http_response.status_code, body) == []
    return body


# files


def test_a_file_uploads_lists_downloads_and_deletes(client) -> None:
    made = upload(client)
    assert made.id.startswith("file-") and len(made.id) == len("file-") + 22
    assert (made.object, made.bytes, made.filename) == ("file", len(DATA), "notes.txt")
    assert made.purpose == "assistants" and made.status == "processed"
    assert isinstance(made.created_at, int) and made.expires_at is None
    assert client.files.retrieve(made.id) == made
    assert client.files.content(made.id).content == DATA
    assert [f.id for f in client.files.list()] == [made.id]

    deleted = client.files.delete(made.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (made.id, "file", True)
    for call in (client.files.retrieve, client.files.content, client.files.delete):
        with pytest.raises(openai.NotFoundError) as caught:
            call(made.id)
        assert caught.value.body["message"] == f"No such File object: {made.id}"


def test_file_bodies_match_the_spec(client) -> None:
    made = upload(client, purpose="user_data")
    one = f"/v1/files/{made.id}"
    valid(client.files.with_raw_response.retrieve(made.id), "GET", one)
    valid(client.files.with_raw_response.list(), "GET", "/v1/files")
    valid(client.files.with_raw_response.delete(made.id), "DELETE", one)


def test_files_page_by_cursor_and_filter_by_purpose(client) -> None:
    purposes = ("assistants", "batch", "assistants", "user_data", "assistants")
    ids = [upload(client, f"f{n}.txt", purpose=p).id for n, p in enumerate(purposes)]
    assert [f.id for f in client.files.list(purpose="assistants")] == [ids[4], ids[2], ids[0]]
    page = client.files.list(limit=2, order="asc")
    assert [f.id for f in page.data] == ids[:2] and page.has_more is True
    after = client.files.list(limit=2, order="asc", after=ids[1])
    assert [f.id for f in after.data] == ids[2:4]
    assert [f.id for f in client.files.list(limit=2, order="asc")] == ids  # every page
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.list(limit=0)
    assert caught.value.param == "limit"


def test_an_upload_needs_a_known_purpose_and_a_file(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        upload(client, purpose="retrieval")
    assert caught.value.param == "purpose" and caught.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/files", body={"purpose": "assistants"}, cast_to=object)
    assert caught.value.status_code == 400
    assert "multipart/form-data" in caught.value.body["message"]


def test_batch_files_expire_after_30_days_unless_told(client) -> None:
    batch = upload(client, "in.jsonl", b"{}\n", purpose="batch")
    assert batch.expires_at == batch.created_at + 30 * DAY
    told = client.files.create(
        file=("a.txt", b"x"),
        purpose="assistants",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert told.expires_at == told.created_at + 3600
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(
            file=("a.txt", b"x"),
            purpose="assistants",
            expires_after={"anchor": "created_at", "seconds": 60},
        )
    assert caught.value.param == "expires_after.seconds"


# vector stores


def test_a_vector_store_holds_files_and_keeps_count(client) -> None:
    first, second = upload(client, "a.txt", b"alpha"), upload(client, "b.txt", b"be")
    store = client.vector_stores.create(name="docs", file_ids=[first.id], metadata={"k": "v"})
    assert store.id.startswith("vs_") and store.object == "vector_store"
    assert (store.name, store.status, store.metadata) == ("docs", "completed", {"k": "v"})
    assert store.file_counts.completed == store.file_counts.total == 1
    assert store.usage_bytes == len(b"alpha") and store.expires_at is None

    attached = client.vector_stores.files.create(store.id, file_id=second.id)
    assert (attached.id, attached.object) == (second.id, "vector_store.file")
    assert attached.vector_store_id == store.id and attached.status == "completed"
    assert attached.last_error is None and attached.usage_bytes == len(b"be")
    assert client.vector_stores.files.retrieve(second.id, vector_store_id=store.id) == attached
    assert [f.id for f in client.vector_stores.files.list(store.id)] == [second.id, first.id]
    assert client.vector_stores.retrieve(store.id).file_counts.total == 2

    gone = client.vector_stores.files.delete(second.id, vector_store_id=store.id)
    assert (gone.id, gone.object, gone.deleted) == (second.id, "vector_store.file.deleted", True)
    assert client.files.retrieve(second.id).id == second.id  # the file itself stays
    assert client.vector_stores.retrieve(store.id).file_counts.total == 1
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(second.id, vector_store_id=store.id)


def test_a_vector_store_updates_pages_and_deletes(client) -> None:
    kept = upload(client)
    stores = [client.vector_stores.create(name=f"s{n}", file_ids=[kept.id]) for n in range(5)]
    updated = client.vector_stores.update(
        stores[0].id,
        name="renamed",
        metadata={"a": "1"},
        expires_after={"anchor": "last_active_at", "days": 7},
    )
    assert (updated.name, updated.metadata) == ("renamed", {"a": "1"})
    assert updated.expires_after is not None and updated.expires_after.days == 7
    assert updated.expires_at == updated.last_active_at + 7 * DAY
    page = client.vector_stores.list(limit=2)
    assert [s.id for s in page.data] == [stores[4].id, stores[3].id] and page.has_more
    assert [s.id for s in client.vector_stores.list(limit=2, order="asc")] == [s.id for s in stores]
    before = client.vector_stores.list(before=stores[1].id, order="asc")
    assert [s.id for s in before.data] == [stores[0].id]

    deleted = client.vector_stores.delete(stores[0].id)
    assert (deleted.id, deleted.object, deleted.deleted) == (
        stores[0].id,
        "vector_store.deleted",
        True,
    )
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.retrieve(stores[0].id)
    assert caught.value.body["message"] == f"No vector store found with id '{stores[0].id}'."
    assert client.files.retrieve(kept.id).id == kept.id  # files outlive their vector stores


def test_deleting_a_file_takes_it_out_of_every_vector_store(client) -> None:
    made = upload(client)
    stores = [client.vector_stores.create(file_ids=[made.id]) for _ in range(2)]
    client.files.delete(made.id)
    for store in stores:
        again = client.vector_stores.retrieve(store.id)
        assert again.file_counts.total == 0 and again.usage_bytes == 0
        assert client.vector_stores.files.list(store.id).data == []


def test_a_vector_store_refuses_a_file_that_does_not_exist(client) -> None:
    store = client.vector_stores.create(name="empty")
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.create(store.id, file_id="file-missing")
    assert caught.value.param == "file_id"
    assert "file-missing" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.create(file_ids=["file-missing"])
    assert caught.value.param == "file_ids[0]"


def test_vector_store_bodies_match_the_spec(client) -> None:
    made = upload(client)
    raw = client.vector_stores.with_raw_response.create(name="v", file_ids=[made.id])
    store = valid(raw, "POST", "/v1/vector_stores")
    one = f"/v1/vector_stores/{store['id']}"
    valid(client.vector_stores.with_raw_response.retrieve(store["id"]), "GET", one)
    valid(client.vector_stores.with_raw_response.list(), "GET", "/v1/vector_stores")
    files = client.vector_stores.files.with_raw_response.list(store["id"])
    valid(files, "GET", one + "/files")
    entry = client.vector_stores.files.with_raw_response.retrieve(
        made.id, vector_store_id=store["id"]
    )
    valid(entry, "GET", f"{one}/files/{made.id}")
    gone = client.vector_stores.files.with_raw_response.delete(made.id, vector_store_id=store["id"])
    valid(gone, "DELETE", f"{one}/files/{made.id}")
    valid(client.vector_stores.with_raw_response.delete(store["id"]), "DELETE", one)


# a thread's tool_resources


def test_a_thread_keeps_its_tool_resources(client) -> None:
    made = upload(client)
    store = client.vector_stores.create(name="kb")
    resources = {
        "code_interpreter": {"file_ids": [made.id]},
        "file_search": {"vector_store_ids": [store.id]},
    }
    thread = client.beta.threads.create(tool_resources=resources)
    assert thread.tool_resources is not None
    assert thread.tool_resources.model_dump(exclude_none=True) == resources
    assert client.beta.threads.retrieve(thread.id).tool_resources == thread.tool_resources

    other = upload(client, "other.csv")
    changed = client.beta.threads.update(
        thread.id, tool_resources={"code_interpreter": {"file_ids": [other.id]}}
    )
    assert (
        changed.tool_resources is not None and changed.tool_resources.code_interpreter is not None
    )
    assert changed.tool_resources.code_interpreter.file_ids == [other.id]

    client.beta.threads.delete(thread.id)
    assert client.files.retrieve(made.id).id == made.id
    assert client.vector_stores.retrieve(store.id).id == store.id


def test_a_thread_refuses_files_and_vector_stores_that_do_not_exist(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.create(
            tool_resources={"code_interpreter": {"file_ids": ["file-nowhere"]}}
        )
    assert caught.value.param == "tool_resources.code_interpreter.file_ids[0]"
    assert "file-nowhere" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.create(tool_resources={"file_search": {"vector_store_ids": ["vs_no"]}})
    assert caught.value.param == "tool_resources.file_search.vector_store_ids[0]"
    assert "vs_no" in caught.value.body["message"]


def test_a_thread_can_create_its_vector_store_from_files(client) -> None:
    made = upload(client)
    thread = client.beta.threads.create(
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [made.id]}]}}
    )
    assert thread.tool_resources is not None and thread.tool_resources.file_search is not None
    (store_id,) = thread.tool_resources.file_search.vector_store_ids or []
    store = client.vector_stores.retrieve(store_id)
    assert store.file_counts.total == 1
    assert [f.id for f in client.vector_stores.files.list(store_id)] == [made.id]
