"""Agents SDK session files made by the real ``openai-agents`` package (``SQLiteSession``)."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HOSTILE = "\x1b]52;c;ZXZpbA==\x07\x1b[31m[bold red]pwned[/bold red]\u202e txt.exe"


def make_session_file(path: Path, sessions: dict[str, list[dict[str, Any]]], **tables: str) -> Path:
    """A session file holding ``sessions`` (ID to items), written by SQLiteSession itself."""
    from agents import SQLiteSession

    async def write() -> None:
        for session_id, items in sessions.items():
            session = SQLiteSession(session_id, path, **tables)
            try:
                await session.add_items(items)  # type: ignore[arg-type]
            finally:
                session.close()

    with ThreadPoolExecutor(1) as pool:  # its own loop, from async tests too
        pool.submit(asyncio.run, write()).result()
    return path


def digest(path: Path) -> str:
    """The file's bytes, hashed: equal before and after reading means never written."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def conversation(n: int) -> list[dict[str, Any]]:
    """A plausible Agents run: a question, a tool call and its output, reasoning, a reply."""
    return [
        {"role": "user", "content": f"Question {n}: what is the weather in Kyoto?"},
        {"type": "reasoning", "id": f"rs_{n}", "summary": []},
        {
            "type": "function_call",
            "call_id": f"call_{n}",
            "name": "get_weather",
            "arguments": '{"city": "Kyoto"}',
        },
        {"type": "function_call_output", "call_id": f"call_{n}", "output": "Sunny, 21 C"},
        {
            "type": "message",
            "role": "assistant",
            "id": f"msg_{n}",
            "status": "completed",
            "content": [{"type": "output_text", "text": f"Answer {n}: sunny.", "annotations": []}],
        },
    ]
