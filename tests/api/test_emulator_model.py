"""The emulator's model does what the request asks, the same way under the same seed.

Arguments come from each tool's schema; ``tool_choice`` and ``parallel_tool_calls`` decide
the calls; function tools come back ``strict``; reasoning models think first; web search is
used and cited; ``text.format`` and ``response_format`` make the answer JSON; finished runs
do not expire and every run has its steps, the demo's included.
"""

from __future__ import annotations

import json
from enum import StrEnum

import jsonschema
import openai
import pytest
from pydantic import BaseModel

from tests.conftest import TEST_KEY, strict_client
from tui.emulator.demo import seed_demo

MODEL = "gpt-4.1"


class Unit(StrEnum):
    celsius = "celsius"
    fahrenheit = "fahrenheit"


class Place(BaseModel):
    city: str
    country: str


class Forecast(BaseModel):
    place: Place
    unit: Unit
    days: int
    hours: list[int]
    note: str | None


FORECAST = openai.pydantic_function_tool(Forecast, name="get_forecast")["function"]
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "when": {"type": "string", "format": "date-time"},
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
        },
        "required": ["city"],
    },
}
TIME = {
    "type": "function",
    "name": "get_time",
    "description": "The local time in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def calls_of(resp) -> list:
    return [o for o in resp.output if o.type == "function_call"]


def tool_of(resp, name: str) -> dict:
    return next(t.model_dump() for t in resp.tools if getattr(t, "name", None) == name)


def chat_tool(tool: dict) -> dict:
    """A Responses function tool in the Assistants shape."""
    spec = {k: v for k, v in tool.items() if k not in ("type", "strict")}
    return {"type": "function", "function": spec}


# arguments


def test_arguments_follow_the_schema_and_the_prompt(client) -> None:
    resp = client.responses.create(
        model=MODEL,
        input="Forecast for Lima in fahrenheit for 3 days",
        tools=[{"type": "function", **FORECAST}],
    )
    (call,) = calls_of(resp)
    args = json.loads(call.arguments)
    jsonschema.validate(args, tool_of(resp, "get_forecast")["parameters"])
    assert args["unit"] == "fahrenheit" and args["days"] == 3
    assert args["place"]["city"] == "Lima" and isinstance(args["hours"], list)
    assert Forecast.model_validate(args).place.city == "Lima"


def test_parsed_tool_arguments_through_the_sdk_helper(client) -> None:
    resp = client.responses.parse(
        model=MODEL,
        input="Forecast for Oslo, please",
        tools=[openai.pydantic_function_tool(Forecast, name="get_forecast")],
    )
    call = resp.output[0]
    assert call.type == "function_call" and isinstance(call.parsed_arguments, Forecast)


def test_a_non_strict_schema_gets_valid_arguments_and_formats(client) -> None:
    resp = client.responses.create(
        model=MODEL,
        input="Weather in Quito",
        tools=[{**WEATHER, "strict": False}],
        parallel_tool_calls=False,
    )
    (call,) = calls_of(resp)
    args = json.loads(call.arguments)
    jsonschema.validate(
        args, WEATHER["parameters"], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert args["city"] == "Quito"


def test_arguments_are_the_same_under_the_same_seed(make_server) -> None:
    def arguments(seed: int) -> list[str]:
        with strict_client(make_server(seed=seed).base_url) as c:
            return [
                calls_of(
                    c.responses.create(
                        model=MODEL,
                        input=f"Forecast number {n}",
                        tools=[{"type": "function", **FORECAST}, WEATHER],
                    )
                )[0].arguments
                for n in range(3)
            ]

    first = arguments(7)
    assert arguments(7) == first
    assert arguments(8) != first


# strict


def test_function_tools_come_back_strict_with_a_normalised_schema(client) -> None:
    loose = {**WEATHER, "name": "loose", "strict": False}
    resp = client.responses.create(
        model=MODEL, input="Weather in Lima", tools=[WEATHER, loose], tool_choice="none"
    )
    echoed = tool_of(resp, "get_weather")
    assert echoed["strict"] is True
    params = echoed["parameters"]
    assert params["additionalProperties"] is False
    assert sorted(params["required"]) == ["city", "days", "unit", "when"]
    kept = tool_of(resp, "loose")
    assert kept["strict"] is False and kept["parameters"] == WEATHER["parameters"]
    nested = client.responses.create(
        model=MODEL,
        input="Hi",
        tools=[{"type": "function", "name": "f", "parameters": {"properties": {"a": {}}}}],
        tool_choice="none",
    )
    assert tool_of(nested, "f")["parameters"] == {
        "properties": {"a": {}},
        "type": "object",
        "required": ["a"],
        "additionalProperties": False,
    }


def test_strict_arguments_fill_every_property(client) -> None:
    resp = client.responses.create(model=MODEL, input="Weather in Lima", tools=[WEATHER])
    args = json.loads(calls_of(resp)[0].arguments)
    assert sorted(args) == ["city", "days", "unit", "when"]
    jsonschema.validate(args, tool_of(resp, "get_weather")["parameters"])


# several calls and tool_choice


def test_several_tools_are_called_in_parallel(client) -> None:
    resp = client.responses.create(
        model=MODEL, input="Weather and time in Oslo", tools=[WEATHER, TIME]
    )
    calls = calls_of(resp)
    assert [c.name for c in calls] == ["get_weather", "get_time"]
    assert len({c.call_id for c in calls}) == 2 and len({c.id for c in calls}) == 2
    assert all(json.loads(c.arguments)["city"] == "Oslo" for c in calls)


def test_parallel_calls_stream_one_item_each(client) -> None:
    with client.responses.create(
        model=MODEL, input="Weather and time in Oslo", tools=[WEATHER, TIME], stream=True
    ) as stream:
        events = list(stream)
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert [(e.output_index, e.name) for e in done] == [(0, "get_weather"), (1, "get_time")]
    final = events[-1].response
    assert [o.type for o in final.output] == ["function_call", "function_call"]


def test_a_prompt_that_lists_places_gets_one_call_each(client) -> None:
    resp = client.responses.create(
        model=MODEL, input="What's the weather in Paris, Oslo and Lima?", tools=[TIME]
    )
    assert [json.loads(c.arguments)["city"] for c in calls_of(resp)] == ["Paris", "Oslo", "Lima"]
    many = client.responses.create(model=MODEL, input="Hi #calls 4", tools=[WEATHER, TIME])
    assert [c.name for c in calls_of(many)] == ["get_weather", "get_time"] * 2


def test_no_parallel_calls_means_one_call_to_the_most_relevant_tool(client) -> None:
    resp = client.responses.create(
        model=MODEL,
        input="What local time is it in Paris, Oslo and Lima?",
        tools=[WEATHER, TIME],
        parallel_tool_calls=False,
    )
    (call,) = calls_of(resp)
    assert call.name == "get_time" and json.loads(call.arguments) == {"city": "Paris"}


def test_tool_choice_none_never_calls(client) -> None:
    resp = client.responses.create(
        model=MODEL, input="Weather in Lima", tools=[WEATHER, TIME], tool_choice="none"
    )
    assert [o.type for o in resp.output] == ["message"] and resp.output_text


def test_tool_choice_names_the_function_called(client) -> None:
    resp = client.responses.create(
        model=MODEL,
        input="Weather in Lima",
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "name": "get_time"},
    )
    assert [c.name for c in calls_of(resp)] == ["get_time"]


def test_tool_choice_required_calls_even_after_outputs(client) -> None:
    first = client.responses.create(model=MODEL, input="Time in Lima", tools=[TIME])
    call = calls_of(first)[0]
    answer = [
        {"type": "function_call", "call_id": call.call_id, "name": call.name,
         "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "09:00"},
    ]  # fmt: skip
    auto = client.responses.create(
        model=MODEL, input=[{"role": "user", "content": "Time in Lima"}, *answer], tools=[TIME]
    )
    assert [o.type for o in auto.output] == ["message"] and "09:00" in auto.output_text
    again = client.responses.create(
        model=MODEL,
        input=[{"role": "user", "content": "Time in Lima"}, *answer],
        tools=[TIME],
        tool_choice="required",
    )
    assert [o.type for o in again.output] == ["function_call"]


def test_a_new_question_in_a_chain_calls_again(client) -> None:
    first = client.responses.create(model=MODEL, input="Time in Lima", tools=[TIME])
    call = calls_of(first)[0]
    answered = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "09:00"}],
        tools=[TIME],
    )
    assert [o.type for o in answered.output] == ["message"]
    again = client.responses.create(
        model=MODEL, previous_response_id=answered.id, input="And in Oslo?", tools=[TIME]
    )
    assert [json.loads(c.arguments)["city"] for c in calls_of(again)] == ["Oslo"]


# reasoning


def test_reasoning_models_think_first(client) -> None:
    resp = client.responses.create(model="o4-mini", input="Explain cursors")
    assert [o.type for o in resp.output] == ["reasoning", "message"]
    thought = resp.output[0]
    assert thought.id.startswith("rs_") and thought.summary == []
    assert thought.encrypted_content  # the spec: populated by default
    assert resp.reasoning.effort == "medium"
    assert resp.usage.output_tokens_details.reasoning_tokens > 0
    plain = client.responses.create(model=MODEL, input="Explain cursors")
    assert [o.type for o in plain.output] == ["message"] and plain.reasoning.effort is None


def test_reasoning_summary_is_streamed_when_asked(client) -> None:
    with client.responses.create(
        model="gpt-5",
        input="Weather in Lima",
        tools=[WEATHER],
        reasoning={"effort": "low", "summary": "auto"},
        stream=True,
    ) as stream:
        events = list(stream)
    kinds = [e.type for e in events]
    at = kinds.index("response.reasoning_summary_part.added")
    assert kinds[at - 1] == "response.output_item.added"
    assert "response.reasoning_summary_text.delta" in kinds
    assert kinds.index("response.reasoning_summary_text.done") < kinds.index(
        "response.reasoning_summary_part.done"
    )
    final = events[-1].response
    assert [o.type for o in final.output] == ["reasoning", "function_call"]
    summary = final.output[0].summary[0].text
    deltas = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert deltas == summary and "call a tool" in summary
    assert final.reasoning.effort == "low" and final.reasoning.summary == "auto"


# web search


def test_web_search_is_used_and_cited(client) -> None:
    resp = client.responses.create(
        model=MODEL,
        input="Who won the race in Monaco?",
        tools=[{"type": "web_search"}],
        include=["web_search_call.action.sources"],
    )
    assert [o.type for o in resp.output] == ["web_search_call", "message"]
    search = resp.output[0]
    assert search.status == "completed" and search.action.type == "search"
    assert search.action.query and search.action.sources
    part = resp.output[1].content[0]
    notes = [a for a in part.annotations if a.type == "url_citation"]
    assert len(notes) == 2
    for note in notes:
        assert note.url in part.text[note.start_index : note.end_index]
    assert {n.url for n in notes} == {s.url for s in search.action.sources}
    assert resp.tools[0].search_context_size == "medium"


def test_web_search_stream_events(client) -> None:
    with client.responses.create(
        model=MODEL, input="News from Oslo", tools=[{"type": "web_search_preview"}], stream=True
    ) as stream:
        kinds = [e.type for e in stream]
    order = [
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_text.annotation.added",
        "response.output_text.done",
    ]
    assert [kinds.index(k) for k in order] == sorted(kinds.index(k) for k in order)


# JSON output


class MathAnswer(BaseModel):
    steps: list[str]
    final_answer: str


def test_text_format_json_schema_gives_json_of_the_schema(client) -> None:
    resp = client.responses.parse(model=MODEL, input="solve 8x + 31 = 2", text_format=MathAnswer)
    parsed = resp.output[0].content[0].parsed
    assert isinstance(parsed, MathAnswer) and resp.text.format.type == "json_schema"
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 5}, "tag": {"enum": ["a", "b"]}},
        "required": ["n"],
    }
    raw = client.responses.create(
        model=MODEL,
        input="Pick",
        text={"format": {"type": "json_schema", "name": "pick", "schema": schema}},
    )
    jsonschema.validate(json.loads(raw.output_text), schema)


def test_text_format_json_object_gives_a_json_object(client) -> None:
    resp = client.responses.create(
        model=MODEL, input="Answer in JSON", text={"format": {"type": "json_object"}}
    )
    assert isinstance(json.loads(resp.output_text), dict)
    assert resp.text.format.type == "json_object"


# Assistants runs


def make_thread(client, prompt: str, **assistant):
    asst = client.beta.assistants.create(model=MODEL, **assistant)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": prompt}])
    return asst, thread


def test_a_run_calls_several_tools_then_keeps_its_steps(client) -> None:
    asst, thread = make_thread(
        client, "Weather and time in Oslo", tools=[chat_tool(WEATHER), chat_tool(TIME)]
    )
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
    assert run.status == "requires_action" and run.expires_at is not None
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    for call in calls:
        args = json.loads(call.function.arguments)
        assert args["city"] == "Oslo"
        jsonschema.validate(args, WEATHER["parameters"])
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": c.id, "output": f"out {n}"} for n, c in enumerate(calls)],
    )
    assert run.status == "completed" and run.expires_at is None
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert [c.function.output for c in steps[0].step_details.tool_calls] == ["out 0", "out 1"]
    one = client.beta.threads.runs.steps.retrieve(steps[1].id, thread_id=thread.id, run_id=run.id)
    assert one.step_details.message_creation.message_id


def test_run_tool_choice_and_parallel_calls(client) -> None:
    tools = [chat_tool(WEATHER), chat_tool(TIME)]
    asst, thread = make_thread(client, "Weather and time in Oslo", tools=tools)
    runs = client.beta.threads.runs
    none = runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id, tool_choice="none")
    assert none.status == "completed" and none.expires_at is None
    client.beta.threads.messages.create(thread.id, role="user", content="Time in Lima")
    named = runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=asst.id,
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    calls = named.required_action.submit_tool_outputs.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("get_time", {"city": "Lima"})
    ]
    runs.cancel(named.id, thread_id=thread.id)
    client.beta.threads.messages.create(thread.id, role="user", content="Weather and time?")
    single = runs.create_and_poll(
        thread_id=thread.id, assistant_id=asst.id, parallel_tool_calls=False
    )
    assert len(single.required_action.submit_tool_outputs.tool_calls) == 1


def test_a_run_answers_in_json_when_the_format_asks(client) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
        "required": ["city", "temp"],
        "additionalProperties": False,
    }
    asst, thread = make_thread(
        client,
        "Weather in Lima as JSON",
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "weather", "schema": schema, "strict": True},
        },
    )
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
    assert run.status == "completed" and run.response_format.type == "json_schema"
    reply = client.beta.threads.messages.list(thread.id, run_id=run.id).data[0]
    value = json.loads(reply.content[0].text.value)
    jsonschema.validate(value, schema)
    assert value["city"] == "Lima"


@pytest.mark.parametrize("status", ["failed", "cancelled", "incomplete"])
def test_finished_runs_do_not_expire(client, status: str) -> None:
    prompt = {"failed": "#fail", "incomplete": "#incomplete", "cancelled": "#long 400"}[status]
    asst, thread = make_thread(client, prompt)
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    if status == "cancelled":
        client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=20)
    assert run.status == status and run.expires_at is None


def test_seeded_demo_runs_have_steps_and_do_not_expire(server) -> None:
    manifest = seed_demo(server.emulator, TEST_KEY)
    threads = server.emulator.namespace(TEST_KEY).threads
    runs = [(t, r) for t, rec in threads.items() for r in rec.runs.values()]
    replied = [(t, r) for t, r in runs if r.obj["status"] == "completed"]
    assert replied and all(len(r.steps) >= 1 for _, r in replied)
    assert all(r.obj["expires_at"] is None for _, r in runs)
    with strict_client(server.base_url) as c:
        sample = [(t, r) for t, r in replied if t != manifest.long_thread][:40]
        for thread_id, rec in sample:
            steps = c.beta.threads.runs.steps.list(rec.obj["id"], thread_id=thread_id).data
            assert steps[-1].type in ("message_creation", "tool_calls")
            created = [s for s in steps if s.type == "message_creation"]
            (step,) = created
            message = c.beta.threads.messages.retrieve(
                step.step_details.message_creation.message_id, thread_id=thread_id
            )
            assert message.run_id == rec.obj["id"] and message.role == "assistant"
        steps_of = c.beta.threads.runs.steps.list
        kinds = [
            [s.type for s in steps_of(r, thread_id=manifest.tool_thread, order="asc").data]
            for r in threads[manifest.tool_thread].runs
        ]
        assert ["tool_calls", "message_creation"] in kinds
