"""The classic Assistants v2 tutorial, unchanged, with the synchronous client."""

from __future__ import annotations

import time


def test_classic_tutorial_with_polling(client, capsys) -> None:
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(
        thread_id=thread.id,
        role="user",
        content="I need to solve the equation `3x + 11 = 14`. Can you help me?",
    )
    assistant = client.beta.assistants.create(
        name="Math Tutor",
        instructions="You are a personal math tutor. Write and run code to answer math questions.",
        model="gpt-4o",
    )
    run = client.beta.threads.runs.create(
        thread_id=thread.id,
        assistant_id=assistant.id,
        instructions="Please address the user as Jane Doe. The user has a premium account.",
    )
    assert run.instructions.startswith("Please address the user as Jane Doe")
    assert run.model == "gpt-4o"

    for _ in range(400):
        if run.status == "completed":
            break
        assert run.status in ("queued", "in_progress"), run.status
        time.sleep(0.05)
        run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    assert run.status == "completed"

    messages = client.beta.threads.messages.list(thread_id=thread.id)
    for msg in messages:
        print(msg.role, ":", msg.content[0].text.value)

    assert [m.role for m in messages.data] == ["assistant", "user"]
    reply = messages.data[0]
    assert reply.run_id == run.id and reply.assistant_id == assistant.id
    assert reply.content[0].type == "text" and reply.content[0].text.value.strip()
    assert messages.data[1].id == message.id
    printed = capsys.readouterr().out
    assert printed.startswith("assistant : ")
    assert "user : I need to solve the equation `3x + 11 = 14`." in printed


def test_create_and_poll_helper(client) -> None:
    assistant = client.beta.assistants.create(name="Helper", model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What can you do?"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=20
    )
    assert run.status == "completed"
    assert run.usage is not None and run.usage.total_tokens > 0
    reply = client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data
    assert len(reply) == 1 and reply[0].role == "assistant"
    assert reply[0].content[0].text.value.strip()


def test_create_and_run_poll_helper(client) -> None:
    assistant = client.beta.assistants.create(name="Helper", model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Summarise the API."}]},
        poll_interval_ms=20,
    )
    assert run.status == "completed"
    roles = [m.role for m in client.beta.threads.messages.list(thread_id=run.thread_id)]
    assert roles == ["assistant", "user"]


def test_stream_helper_with_event_handler(client) -> None:
    """The tutorial's streaming variant: ``runs.stream`` with an ``AssistantEventHandler``."""
    from openai import AssistantEventHandler

    class Collect(AssistantEventHandler):
        def __init__(self) -> None:
            super().__init__()
            self.pieces: list[str] = []

        def on_text_delta(self, delta, snapshot) -> None:
            self.pieces.append(delta.value)

    assistant = client.beta.assistants.create(name="Streamer", model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Stream it"}])
    handler = Collect()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as stream:
        stream.until_done()
        final_run = stream.get_final_run()
        final_messages = stream.get_final_messages()
    assert final_run.status == "completed"
    assert len(final_messages) == 1
    assert final_messages[0].content[0].text.value == "".join(handler.pieces)
