"""Function tools a user offers with a conversation's messages: parsed and checked."""

from __future__ import annotations

import json
import re
from typing import Any

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TOOLS = 128
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


class ToolsError(ValueError):
    """The text does not describe function tools; the message says what to fix."""


def parse_tools(text: str) -> list[dict[str, Any]]:
    """Tools from a JSON list of Responses function tools, or from one name per line."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        try:
            raw = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ToolsError(f"Not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
        tools = [_checked(entry, n) for n, entry in enumerate(raw, 1)]
    else:
        tools = [_named(line.strip(), n) for n, line in enumerate(stripped.splitlines(), 1)]
        tools = [t for t in tools if t]
    if len(tools) > MAX_TOOLS:
        raise ToolsError(f"{len(tools)} tools; the API takes at most {MAX_TOOLS}.")
    names = [t["name"] for t in tools]
    if len(set(names)) != len(names):
        raise ToolsError("Two tools have the same name.")
    return tools


def _named(name: str, line: int) -> dict[str, Any]:
    if not name:
        return {}
    if not NAME.match(name):
        raise ToolsError(
            f"Line {line}: {name[:40]!r} is not a function name (letters, digits, _ and -, "
            "at most 64)."
        )
    return {"type": "function", "name": name, "parameters": EMPTY_PARAMETERS}


def _checked(entry: Any, n: int) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ToolsError(f"Tool {n} is not an object.")
    if entry.get("type", "function") != "function":
        raise ToolsError(f"Tool {n}: only function tools can be answered from here.")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ToolsError(f"Tool {n} needs a name (letters, digits, _ and -, at most 64).")
    parameters = entry.get("parameters", EMPTY_PARAMETERS)
    if not isinstance(parameters, dict):
        raise ToolsError(f"Tool {n} ({name}): parameters must be a JSON schema object.")
    tool: dict[str, Any] = {"type": "function", "name": name, "parameters": parameters}
    if isinstance(entry.get("description"), str):
        tool["description"] = entry["description"]
    return tool


def describe_tools(tools: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """The tools as the dialog shows them: JSON, one tool per line."""
    if not tools:
        return ""
    return "[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in tools) + "\n]"
