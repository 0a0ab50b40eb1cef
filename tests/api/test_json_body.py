"""A reply's body read as JSON: fast where it can be, as ``json`` reads it everywhere."""

from __future__ import annotations

import json
import math

import pytest

from tui.api.errors import BadShape
from tui.api.polling import json_body


@pytest.mark.parametrize(
    "content",
    [
        b'{"object": "list", "data": [{"id": "chatcmpl-1", "created": 1780000000}]}',
        b'{"x": NaN, "y": Infinity}',  # not JSON, but Python's json reads it
        b'\xef\xbb\xbf{"bom": true}',  # a byte order mark first
        '{"t": "京都の秋 🍁"}'.encode(),
        b'{"dup": 1, "dup": 2}',
    ],
)
def test_a_body_reads_as_json_reads_it(content: bytes) -> None:
    read = json_body(content)
    expected = json.loads(content.removeprefix(b"\xef\xbb\xbf"))
    assert json.dumps(read, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_what_only_json_takes_is_read_too() -> None:
    assert math.isnan(json_body(b'{"x": NaN}')["x"])
    assert json_body(b'{"x": -Infinity}')["x"] == -math.inf


def test_an_integer_wider_than_64_bits_is_read_as_the_nearest_float() -> None:
    # No field of the API holds one; a number is read, not refused.
    assert json_body(b'{"n": 123456789012345678901234567890}')["n"] == 1.2345678901234568e29


@pytest.mark.parametrize(
    "content",
    [b"<html>502 Bad Gateway</html>", b"", b'{"a": 1', b"\xff\xfe{}", b"[" * 100_000],
)
def test_what_is_not_json_is_a_bad_shape(content: bytes) -> None:
    with pytest.raises(BadShape):
        json_body(content)
