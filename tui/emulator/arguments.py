"""JSON values generated from a JSON schema, as a model fills a tool's parameters.

Values follow the schema (types, ``enum``/``const``, ``required``, nested objects and
arrays, ``$ref``, ``anyOf``/``oneOf``/``allOf``, bounds and the common string formats) and
read the prompt where a model would: a ``city`` gets the place the prompt names, a
``query`` gets the prompt, an ``enum`` gets the value the prompt mentions. Every other
choice comes from a generator seeded by the emulator's seed and the request, so the same
request to an emulator with the same seed gets the same arguments.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

Obj = dict[str, Any]
MAX_DEPTH = 6
MAX_COUNT = 1_000  # the largest count a schema may ask for (items, characters)
MAX_ITEMS = 3

_PLACE_WORDS = ("city", "location", "place", "country", "region", "destination", "origin")
_QUERY_WORDS = ("query", "search", "prompt", "question", "text", "message", "input", "topic")
_PLACES = ("Lisbon", "Oslo", "Lima", "Kyiv", "Osaka", "Quito", "Tunis", "Hanoi")
_WORDS = ("alpha", "bravo", "delta", "echo", "lima", "sierra", "tango", "zulu")
_PROPER = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_QUOTED = re.compile(r"\"([^\"]{1,80})\"|'([^']{1,80})'")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_EPOCH = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)


def seeded(seed: int, *parts: Any) -> random.Random:
    """A generator fixed by ``seed`` and the request parts (same parts, same draws)."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return random.Random(f"{seed}|{text}")


def subjects(prompt: str) -> list[str]:
    """What the prompt names: quoted phrases, then proper nouns not opening a sentence."""
    quoted = [a or b for a, b in _QUOTED.findall(prompt)]
    found: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", prompt):
        for match in _PROPER.finditer(sentence):
            name = match.group(0)
            if match.start() == len(sentence) - len(sentence.lstrip()):
                name = name.partition(" ")[2]  # the first word is capitalised anyway
            if name and name not in found:
                found.append(name)
    return [*quoted, *(n for n in found if n not in quoted)]


@dataclass
class Filler:
    """Fills one schema (``root`` resolves its ``$ref`` pointers) for one prompt."""

    root: Any
    rng: random.Random
    prompt: str = ""
    subject: str | None = None
    numbers: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.numbers = [float(n) for n in _NUMBER.findall(self.prompt)]
        if self.subject is None:
            self.subject = next(iter(subjects(self.prompt)), None)

    def arguments(self) -> Obj:
        """The arguments of a function call: an object valid against ``root``."""
        schema = self.root if isinstance(self.root, dict) else {}
        if _free_form(schema):
            return {"query": self.prompt[:200]} if self.prompt else {}
        value = self.value(schema, "", 0)
        return value if isinstance(value, dict) else {}

    def value(self, schema: Any, name: str, depth: int) -> Any:
        """A value valid against ``schema`` for a field called ``name``."""
        if not isinstance(schema, dict):
            return self._string({}, name)
        schema = self._resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(schema["enum"])
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            return self.value(self._branch(branches, depth), name, depth)
        kind = self._kind(schema, depth)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        scalars = {
            "string": self._string,
            "integer": self._integer,
            "number": self._number,
            "boolean": self._boolean,
        }
        maker = scalars.get(kind)
        return maker(schema, name) if maker else None

    # structure

    def _resolve(self, schema: Obj, depth: int) -> Obj:
        for _ in range(MAX_DEPTH):
            ref = schema.get("$ref")
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            target = _pointer(self.root, ref)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
        parts = schema.get("allOf")
        if isinstance(parts, list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in parts:
                if isinstance(part, dict):
                    merged = _merge(merged, self._resolve(part, depth))
            schema = merged
        return schema

    def _branch(self, branches: list[Any], depth: int) -> Any:
        def is_null(b: Any) -> bool:
            return isinstance(b, dict) and b.get("type") == "null"

        nulls = [b for b in branches if is_null(b)]
        others = [b for b in branches if not is_null(b)]
        if (depth >= MAX_DEPTH and nulls) or not others:
            return nulls[0] if nulls else {}
        return self.rng.choice(others)

    def _kind(self, schema: Obj, depth: int) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            real = [k for k in kind if k != "null"]
            if not real or (depth >= MAX_DEPTH and "null" in kind):
                return "null"
            return str(real[0])
        if isinstance(kind, str):
            return kind
        if "properties" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        return "string"

    def _object(self, schema: Obj, depth: int) -> Obj:
        props = _dict(schema.get("properties"))
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        out: Obj = {}
        for key, sub in props.items():
            if key in required or (depth < MAX_DEPTH and self._wanted(key, sub)):
                out[key] = self.value(sub, key, depth + 1)
        for key in required:
            if key not in out:
                out[key] = self.value(schema.get("additionalProperties", {}), key, depth + 1)
        wanted = _count(schema.get("minProperties"), 0)
        for key, sub in props.items():
            if len(out) >= wanted:
                break
            out.setdefault(key, self.value(sub, key, depth + 1))
        return out

    def _wanted(self, key: str, schema: Any) -> bool:
        """Whether the model fills an optional property (it does when it has the answer)."""
        lowered = key.lower()
        if any(w in lowered for w in _PLACE_WORDS) and self.subject:
            return True
        if any(w in lowered for w in _QUERY_WORDS) and self.prompt:
            return True
        enum = schema.get("enum") if isinstance(schema, dict) else None
        if isinstance(enum, list) and self._mentioned(enum) is not None:
            return True
        return self.rng.random() < 0.35

    def _array(self, schema: Obj, name: str, depth: int) -> list[Any]:
        prefix = _list(schema.get("prefixItems"))
        low = max(_count(schema.get("minItems"), 0), len(prefix))
        high = max(low, _count(schema.get("maxItems"), max(low, MAX_ITEMS)))
        most = min(high, max(low, MAX_ITEMS))  # a few items, unless the schema needs more
        count = low if depth >= MAX_DEPTH else self.rng.randint(min(max(low, 1), most), most)
        items = schema.get("items", {})
        out: list[Any] = [self.value(p, name, depth + 1) for p in prefix[:count]]
        tries = 0
        while len(out) < count and tries < count * 8:
            tries += 1
            item = self.value(items if items is not False else {}, name, depth + 1)
            if not schema.get("uniqueItems") or item not in out:
                out.append(item)
        return out

    # scalars

    def _enum(self, options: list[Any]) -> Any:
        mentioned = self._mentioned(options)
        return mentioned if mentioned is not None else self.rng.choice(options)

    def _mentioned(self, options: list[Any]) -> Any:
        lowered = self.prompt.lower()
        for option in options:
            if isinstance(option, str) and len(option) > 1 and option.lower() in lowered:
                return option
        return None

    def _string(self, schema: Obj, name: str) -> str:
        text = _formatted(schema.get("format"), self.rng)
        if text is None:
            text = self._text(name.lower())
        low = _count(schema.get("minLength"), 0)
        high = schema.get("maxLength")
        if len(text) < low:
            text = (text + " " + "x" * low)[:low] if text else "x" * low
        if isinstance(high, int):
            text = text[:high]
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _matches(pattern, text):
            text = self._matching(pattern) or text
        return text

    def _text(self, name: str) -> str:
        if any(w in name for w in _PLACE_WORDS):
            return self.subject or self.rng.choice(_PLACES)
        if any(w in name for w in _QUERY_WORDS):
            return self.prompt[:200] or self.rng.choice(_WORDS)
        if "email" in name:
            return f"{self.rng.choice(_WORDS)}@example.com"
        if "url" in name or "link" in name:
            return f"https://example.com/{self.rng.choice(_WORDS)}"
        if self.subject:
            return self.subject
        words = [w for w in re.findall(r"\w+", self.prompt) if len(w) > 3]
        return self.rng.choice(words or list(_WORDS))

    def _matching(self, pattern: str) -> str | None:
        candidates = [*subjects(self.prompt), *re.findall(r"\S+", self.prompt), *_WORDS]
        return next((c for c in candidates if _matches(pattern, c)), None)

    def _integer(self, schema: Obj, name: str) -> int:
        low, high = _bounds(schema, integer=True)
        value = self._from_prompt(low, high, integer=True)
        if value is None:
            value = self.rng.randint(int(low), int(high))
        return int(_stepped(value, schema.get("multipleOf"), low, high))

    def _number(self, schema: Obj, name: str) -> float:
        low, high = _bounds(schema, integer=False)
        value = self._from_prompt(low, high, integer=False)
        if value is None:
            value = min(max(round(self.rng.uniform(low, high), 2), low), high)
        return float(_stepped(value, schema.get("multipleOf"), low, high))

    def _from_prompt(self, low: float, high: float, *, integer: bool) -> float | None:
        for number in self.numbers:
            if low <= number <= high and (not integer or number.is_integer()):
                return int(number) if integer else number
        return None

    def _boolean(self, schema: Obj, name: str) -> bool:
        return self.rng.random() < 0.5


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _free_form(schema: Obj) -> bool:
    """An object schema that names no property and lets any through."""
    if any(k in schema for k in ("properties", "anyOf", "oneOf", "allOf", "$ref", "enum")):
        return False
    extra = schema.get("additionalProperties", True)
    return (
        schema.get("type", "object") == "object"
        and extra not in (False, None)
        and (extra is True or extra == {})
    )


def _pointer(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#").split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return {}
    return node


def _merge(left: Obj, right: Obj) -> Obj:
    merged = {**left, **right}
    props = {**(left.get("properties") or {}), **(right.get("properties") or {})}
    if props:
        merged["properties"] = props
    required = [*(left.get("required") or []), *(right.get("required") or [])]
    if required:
        merged["required"] = list(dict.fromkeys(required))
    return merged


def _num(value: Any) -> float | None:
    """``value`` as a float when it is a JSON number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _bounds(schema: Obj, *, integer: bool) -> tuple[float, float]:
    gap = 1.0 if integer else 0.01
    low = _num(schema.get("minimum"))
    high = _num(schema.get("maximum"))
    above = _num(schema.get("exclusiveMinimum"))
    below = _num(schema.get("exclusiveMaximum"))
    low = above + gap if above is not None else low
    high = below - gap if below is not None else high
    if low is None:
        low = high - 100 if high is not None else 1.0
    if high is None:
        high = low + 100
    if integer:
        low, high = float(math.ceil(low)), float(math.floor(high))
    return (low, max(low, high))


def _stepped(value: float, step: Any, low: float, high: float) -> float:
    """``value`` moved onto a multiple of ``step`` inside ``low``..``high``."""
    if not isinstance(step, int | float) or isinstance(step, bool) or step <= 0:
        return value
    up = math.ceil(value / step) * step
    return up if up <= high else math.floor(high / step) * step


def _formatted(fmt: Any, rng: random.Random) -> str | None:
    moment = _EPOCH + timedelta(days=rng.randrange(365), minutes=15 * rng.randrange(96))
    makers = {
        "date-time": lambda: moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date": lambda: date.isoformat(moment.date()),
        "time": lambda: moment.strftime("%H:%M:%SZ"),
        "email": lambda: f"{rng.choice(_WORDS)}@example.com",
        "uri": lambda: f"https://example.com/{rng.choice(_WORDS)}",
        "url": lambda: f"https://example.com/{rng.choice(_WORDS)}",
        "hostname": lambda: f"{rng.choice(_WORDS)}.example.com",
        "ipv4": lambda: f"192.0.2.{rng.randrange(1, 255)}",
        "ipv6": lambda: f"2001:db8::{rng.randrange(1, 65535):x}",
        "uuid": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "duration": lambda: f"PT{rng.randrange(1, 90)}M",
    }
    maker = makers.get(fmt) if isinstance(fmt, str) else None
    return maker() if maker else None


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # a pattern Python cannot read is not checked


def generate(schema: Any, rng: random.Random, prompt: str = "", subject: str | None = None) -> Any:
    """A value valid against ``schema`` (the whole document, for its ``$ref`` pointers)."""
    return Filler(schema, rng, prompt, subject).value(schema, "", 0)


def call_arguments(
    parameters: Any, rng: random.Random, prompt: str = "", subject: str | None = None
) -> str:
    """The JSON ``arguments`` of a call to a function with these ``parameters``."""
    args = Filler(parameters, rng, prompt, subject).arguments()
    return json.dumps(args, ensure_ascii=False)


def _count(value: Any, default: int) -> int:
    """A schema's count (``minItems``, ``minLength``...): an integer, at most ``MAX_COUNT``.

    Anything else (a string, a float, a bool) is the default: the emulator answers instead
    of failing on a schema the real API would have refused.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(0, min(value, MAX_COUNT))
