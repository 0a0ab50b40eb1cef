"""Function tools: as the API echoes them, and the calls the model makes with them.

The Responses API defaults a function tool's ``strict`` to true and, when the request left
it out, normalises the schema into strict mode: every object gets
``additionalProperties: false`` and lists all its properties in ``required``. Which tools
are called follows ``tool_choice`` (``none`` never calls, ``required`` or a named function
always calls, ``auto`` calls until tool outputs come back) and ``parallel_tool_calls``
(several calls in one turn only when it is not false).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tui.emulator.arguments import subjects

Obj = dict[str, Any]
MAX_CALLS = 8
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SUBSCHEMAS = ("items", "not", "contains", "if", "then", "else")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_CALLS = re.compile(r"#calls (\d{1,2})")
_LIST_GAP = re.compile(r"^\s*,?\s*(?:(?:and|or|&)\s+)?$")


@dataclass(frozen=True)
class Function:
    """A function the model may call: its name, parameters and description."""

    name: str
    parameters: Any
    description: str = ""


@dataclass(frozen=True)
class Call:
    """One call the model makes: the function and the subject its arguments are about."""

    function: Function
    subject: str | None


def strict_schema(schema: Any, *, root: bool = True) -> Any:
    """``schema`` normalised into strict mode, as the Responses API does it.

    Every object is closed (``additionalProperties: false``) and requires all its properties.
    """
    if not isinstance(schema, dict):
        return schema
    out: Obj = {}
    for key, value in schema.items():
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: strict_schema(v, root=False) for k, v in value.items()}
        elif key in _SUBSCHEMAS and isinstance(value, dict):
            out[key] = strict_schema(value, root=False)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [strict_schema(v, root=False) for v in value]
        else:
            out[key] = value
    if root and "type" not in out and not any(k in out for k in (*_SUBSCHEMA_LISTS, "$ref")):
        out["type"] = "object"
    kind = out.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        props = out.setdefault("properties", {})
        out["required"] = list(props) if isinstance(props, dict) else []
        out["additionalProperties"] = False
    return out


def echoed_tool(tool: Any) -> Any:
    """A Responses tool as the API sends it back (``strict`` and defaults filled in)."""
    if not isinstance(tool, dict):
        return tool
    kind = tool.get("type")
    if kind == "function":
        strict = tool.get("strict")
        params = tool.get("parameters")
        if strict is None and isinstance(params, dict):
            params = strict_schema(params)
        return {
            **tool,
            "description": tool.get("description"),
            "parameters": params,
            "strict": True if strict is None else strict,
        }
    if isinstance(kind, str) and kind.startswith("web_search"):
        return {**tool, "search_context_size": tool.get("search_context_size") or "medium"}
    return tool


def forced_name(choice: Any) -> str | None:
    """The function ``tool_choice`` names, in either API's shape."""
    if not isinstance(choice, dict) or choice.get("type") != "function":
        return None
    name = choice.get("name") or (choice.get("function") or {}).get("name")
    return name if isinstance(name, str) else None


def forced_hosted(choice: Any) -> str | None:
    """The hosted tool type (``web_search``, ``file_search``…) ``tool_choice`` forces."""
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind in ("function", "allowed_tools", "custom", "mcp") or not isinstance(kind, str):
        return None
    return kind


def choice_mode(choice: Any) -> str:
    """``none``, ``auto`` or ``required`` (a named tool is required)."""
    if isinstance(choice, str):
        return choice if choice in ("none", "auto", "required") else "auto"
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        mode = choice.get("mode")
        return mode if mode in ("auto", "required") else "auto"
    return "required" if isinstance(choice, dict) else "auto"


def allowed(functions: list[Function], choice: Any) -> list[Function]:
    """The functions ``tool_choice`` lets the model call."""
    name = forced_name(choice)
    if name is not None:
        return [f for f in functions if f.name == name]
    if forced_hosted(choice) is not None:
        return []
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        names = {t.get("name") for t in choice.get("tools") or [] if isinstance(t, dict)}
        return [f for f in functions if f.name in names]
    return functions


def plan_calls(
    functions: list[Function], choice: Any, *, parallel: bool, prompt: str, answered: bool
) -> list[Call]:
    """The calls the model makes this turn (none means it writes a message).

    ``answered`` says tool outputs came back: with ``auto`` the model then replies.
    """
    mode = choice_mode(choice)
    targets = allowed(functions, choice)
    if mode == "none" or not targets or (mode == "auto" and answered):
        return []
    named = listed_subjects(prompt)
    if not parallel:
        return [Call(most_relevant(targets, prompt), named[0] if named else None)]
    asked = _CALLS.search(prompt)
    if asked is not None:
        count = max(1, min(MAX_CALLS, int(asked.group(1))))
        return [Call(targets[i % len(targets)], None) for i in range(count)]
    if len(targets) == 1 and len(named) > 1:
        return [Call(targets[0], name) for name in named[:MAX_CALLS]]
    first = named[0] if named else None
    return [Call(f, first) for f in targets[:MAX_CALLS]]


def most_relevant(functions: list[Function], prompt: str) -> Function:
    """The function whose name and description share most words with the prompt."""
    words = set(re.findall(r"[a-z]{3,}", prompt.lower()))

    def score(f: Function) -> int:
        own = set(re.findall(r"[a-z]{3,}", f"{f.name} {f.description}".replace("_", " ").lower()))
        return len(words & own)

    return max(functions, key=score)  # max keeps the first of equals


def listed_subjects(prompt: str) -> list[str]:
    """Subjects the prompt lists together ("Paris, Oslo and Lima"); else its first one."""
    found = subjects(prompt)
    spans = [(prompt.find(s), s) for s in found]
    spans = sorted((at, s) for at, s in spans if at >= 0)
    best: list[str] = []
    run: list[str] = []
    end = -1
    for at, name in spans:
        if run and _LIST_GAP.match(prompt[end:at]):
            run.append(name)
        else:
            run = [name]
        end = at + len(name)
        if len(run) > len(best):
            best = list(run)
    return best if len(best) > 1 else found[:1]
