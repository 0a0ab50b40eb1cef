"""IDs from servers are checked like IDs from text; other server strings are cleaned once."""

from __future__ import annotations

import pytest

from tests.hostile import leaked
from tests.kit.switches import INJECTION
from tui.api import convert
from tui.api.errors import ApiError, BadId, UnusableId, readable
from tui.model import Connection, Kind

THREAD = "thread_" + "A" * 24
CONV = "conv_" + "a" * 48


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        (Kind.THREAD, f"{THREAD}/../../etc"),
        (Kind.THREAD, f"{THREAD}\n"),
        (Kind.THREAD, f"{THREAD}{INJECTION}"),
        (Kind.THREAD, CONV),
        (Kind.CONVERSATION, THREAD),
        (Kind.CONVERSATION, "../" + CONV),
    ],
)
def test_an_item_id_of_another_shape_or_kind_is_refused(kind: Kind, bad: str) -> None:
    with pytest.raises(BadId) as caught:
        convert.remote_item({"id": bad, "created_at": 1_704_067_200}, kind)
    assert not leaked(caught.value.problem)


def test_a_reply_about_another_item_is_refused_naming_both() -> None:
    other = "thread_" + "B" * 24
    connection = Connection("http://127.0.0.1:9/v1")
    with pytest.raises(UnusableId) as caught, readable(connection, f"GET /v1/threads/{THREAD}"):
        convert.remote_item({"id": other}, Kind.THREAD, THREAD)
    said = str(caught.value)
    assert connection.base_url in said and THREAD in said and other in said
    assert "report the reply" in said


@pytest.mark.parametrize("field", ["id", "run_id"])
def test_message_and_run_ids_are_checked(field: str) -> None:
    msg = {"id": "msg_" + "m" * 24, "role": "user", "content": "hi", field: f"x/..{INJECTION}"}
    with pytest.raises(BadId):
        convert.thread_message(msg)


def test_dashed_and_uuid_ids_are_still_read() -> None:
    turn = convert.thread_message(
        {"id": "msg_abcd-efgh", "role": "user", "run_id": "run_0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b"}
    )
    assert turn.id == "msg_abcd-efgh" and turn.run_id is not None


def test_labels_are_cleaned_and_message_text_is_kept_exactly() -> None:
    item = {
        "type": "message",
        "id": "msg_1",
        "role": f"assistant{INJECTION}",
        "status": f"completed{INJECTION}",
        "content": [{"type": "output_text", "text": f"text {INJECTION}", "annotations": []}],
    }
    turn = convert.conversation_item(item)
    assert not leaked(turn.role + (turn.status or "")) and turn.role.startswith("assistant")
    assert turn.text == f"text {INJECTION}"  # data: cleaned where it is shown
    remote = convert.remote_item(
        {"id": CONV, "metadata": {f"k{INJECTION}": INJECTION}}, Kind.CONVERSATION
    )
    assert not leaked("".join(k + v for k, v in remote.metadata.items()))
    failed = {"id": "run_1", "status": "failed", "last_error": {"message": INJECTION}}
    assert not leaked(convert.run_detail(failed) or "")


def test_every_error_message_is_cleaned() -> None:
    assert not leaked(str(ApiError(f"the server said {INJECTION}")))
