"""Reading OTLP JSON traces: IDs from the GenAI attributes, the span's others as metadata."""

from __future__ import annotations

import io
import json

from tui.ids import Verdict
from tui.ops.traces import read_traces

CONV = "conv_" + "a" * 48
THREAD = "thread_" + "B" * 24
RESP = "resp_" + "c" * 48
CHAT = "chatcmpl-" + "D" * 29


def value(v: object) -> dict[str, object]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    return {"stringValue": v}


def span(start: int, **attributes: object) -> dict[str, object]:
    return {
        "traceId": "0" * 32,
        "spanId": f"{start:016x}",
        "name": "chat gpt-4o",
        "startTimeUnixNano": str(start),
        "attributes": [
            {"key": k.replace("__", "."), "value": value(v)} for k, v in attributes.items()
        ],
    }


def request(*spans: dict[str, object]) -> dict[str, object]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": value("svc")}]},
                "scopeSpans": [{"scope": {"name": "openai"}, "spans": list(spans)}],
            }
        ]
    }


def jsonl(*requests: dict[str, object]) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in requests))


def test_jsonl_ids_kinds_and_metadata() -> None:
    found = read_traces(
        jsonl(
            request(
                span(
                    20,
                    gen_ai__conversation__id=CONV,
                    gen_ai__response__id=RESP,
                    gen_ai__request__model="gpt-4o",
                    gen_ai__usage__input_tokens=12,
                    stream=True,
                    temperature=0.5,
                    gen_ai__response__finish_reasons=["stop"],
                )
            ),
            request(span(30, gen_ai__conversation__id=THREAD), span(31, gen_ai__response__id=CHAT)),
        )
    )
    assert [f.text for f in found.ids] == [CONV, RESP, THREAD, CHAT]
    assert found.ids[0].verdict is Verdict.OK and found.ids[3].verdict is Verdict.OK
    assert found.metadata[CONV] == {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": "12",
        "stream": "true",
        "temperature": "0.5",
    }  # the IDs themselves, and the array, are not metadata
    assert found.spans == 3 and not found.problems and not found.cut


def test_single_document_pretty_printed_and_a_list() -> None:
    doc = json.dumps(request(span(1, gen_ai__conversation__id=CONV, k="v")), indent=2)
    found = read_traces(io.BytesIO(doc.encode()))
    assert [f.text for f in found.ids] == [CONV] and found.metadata[CONV] == {"k": "v"}
    many = json.dumps([request(span(1, gen_ai__conversation__id=CONV))] * 2, indent=1)
    assert [f.text for f in read_traces(io.BytesIO(many.encode())).ids] == [CONV]


def test_earliest_span_wins_whatever_the_order_and_keys_stay_within_16() -> None:
    late = span(200, gen_ai__conversation__id=CONV, model="late", **{f"z{i}": i for i in range(20)})
    early = span(100, gen_ai__conversation__id=CONV, model="early", first="yes")
    for order in ((late, early), (early, late)):
        found = read_traces(jsonl(request(*order)))
        meta = found.metadata[CONV]
        assert meta["model"] == "early" and meta["first"] == "yes"
        assert len(meta) == 16
        assert list(meta)[:2] == ["first", "model"]


def test_malformed_lines_are_named_and_the_rest_read() -> None:
    data = (
        json.dumps(request(span(1, gen_ai__conversation__id=CONV))).encode()
        + b"\n{not json\n"
        + b'{"no": "spans"}\n'
        + b"\xff\xfe\n"
        + json.dumps(request(span(2, gen_ai__conversation__id=THREAD, bad={"x": 1}))).encode()
        + b"\n"
        + json.dumps(request({"attributes": "nope"}, "a span", span(3))).encode()
    )
    found = read_traces(io.BytesIO(data), name="t.jsonl")
    assert [f.text for f in found.ids] == [CONV, THREAD]
    assert found.problems == (
        "t.jsonl, line 2: not JSON: skipped",
        "t.jsonl, line 3: not an OTLP trace request (no resourceSpans)",
        "t.jsonl, line 4: not JSON: skipped",
        "t.jsonl, line 6: a span that is not a JSON object was skipped",
    )


def test_a_first_line_that_is_broken_is_read_as_lines_after_all() -> None:
    data = b"{broken\n" + json.dumps(request(span(1, gen_ai__conversation__id=CONV))).encode()
    found = read_traces(io.BytesIO(data), name="x")
    assert [f.text for f in found.ids] == [CONV]
    assert found.problems == ("x, line 1: not JSON: skipped",)


def test_values_that_are_not_ids_are_reported_as_data() -> None:
    hostile = "\x1b]52;c;aGk=\x07[bold]sess-1[/bold]"
    found = read_traces(jsonl(request(span(1, gen_ai__conversation__id=hostile, note=hostile))))
    (only,) = found.ids
    assert only.verdict is Verdict.MALFORMED and "\x1b" not in only.text + only.message
    assert "[bold]" in only.text and "not an ID the app opens" in only.message
    assert found.metadata == {}  # nothing tracked, so no metadata kept for it
    ok = read_traces(jsonl(request(span(1, gen_ai__conversation__id=CONV, note=hostile))))
    assert ok.metadata[CONV]["note"] == "[bold]sess-1[/bold]"  # the escape gone, markup kept


def test_bounds_bytes_and_ids() -> None:
    line = json.dumps(request(span(1, gen_ai__conversation__id=CONV))).encode() + b"\n"
    big = io.BytesIO(line * 1000)
    found = read_traces(big, name="big", max_bytes=len(line) * 10 + 5)
    assert [f.text for f in found.ids] == [CONV] and "larger than" in found.cut
    assert found.read <= len(line) * 10 + 5
    doc = json.dumps(request(*[span(i, k="v" * 100) for i in range(100)]), indent=1).encode()
    assert "larger than" in read_traces(io.BytesIO(doc), max_bytes=1000).cut
    many = jsonl(*[request(span(i, gen_ai__conversation__id=f"conv_{i:048x}")) for i in range(30)])
    capped = read_traces(many, name="m", max_ids=10)
    assert len(capped.ids) == 10 and "more than 10 IDs" in capped.cut
