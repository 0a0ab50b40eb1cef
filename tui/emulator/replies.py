"""Deterministic replies that exercise a browser: Markdown, code, tables, many scripts."""

from __future__ import annotations

import re
import zlib

_TEMPLATES: tuple[str, ...] = (
    "You asked: *{echo}*\n\nHere is a short answer with a list:\n\n"
    "- first, check the **thread ID** (it starts with `thread_`)\n"
    "- then list its messages, newest first\n"
    "- finally, archive what you want to keep",
    "Here is a snippet that does it:\n\n```python\n"
    "from openai import OpenAI\n\nclient = OpenAI()\n"
    "for message in client.beta.threads.messages.list(thread_id):\n"
    "    print(message.role, message.content[0].text.value)\n```\n\n"
    "It pages through the history with `after` cursors.",
    "A comparison of the two APIs:\n\n"
    "| | Assistants v2 | Responses |\n|---|---|---|\n"
    "| state | thread | conversation |\n| history | `messages.list` | `items.list` |\n"
    "| reply | run | response |\n\nBoth lack a list endpoint for what you created.",
    "多言語のテスト: こんにちは世界。\n\nПривет, мир! Ελληνικά. مرحبا بالعالم. "
    "שלום עולם. 你好，世界。 🚀✨\n\n> Quoted: {echo}",
    "### Summary\n\n1. Your message had **{words}** words.\n"
    "2. Its first word was `{first}`.\n3. The reply is deterministic.\n\n"
    "Nested list:\n\n- level one\n  - level two\n    - level three",
)

_TOKEN = re.compile(r"\s*\S{1,6}|\s+")


_LONG = re.compile(r"#long (\d{1,6})")
_LONG_PARTS = (
    "## Part {n}\n\nThe **registry** keeps every ID; the pane shows the `history` of one. ",
    "A sentence with *emphasis*, a [link](https://example.invalid) and `code`.\n\n",
    "- one point\n- another point with **bold**\n- a third\n\n",
    "```python\nfor n in range({n}):\n    print(n)\n```\n\n",
    "| a | b |\n|---|---|\n| {n} | {n} |\n\n",
)


def long_reply(count: int) -> str:
    """A Markdown reply of exactly ``count`` stream tokens (headings, lists, code, tables)."""
    text = ""
    n = 0
    while len(tokens(text)) < count:
        text += _LONG_PARTS[n % len(_LONG_PARTS)].format(n=n // len(_LONG_PARTS) + 1)
        n += 1
    return "".join(tokens(text)[:count])


def reply_text(prompt: str, turn: int) -> str:
    """The reply to ``prompt`` at assistant turn ``turn`` (same inputs, same text).

    ``#long N`` in the prompt asks for a long Markdown reply of N stream tokens.
    """
    long = _LONG.search(prompt)
    if long is not None:
        return long_reply(int(long.group(1)))
    words = prompt.split()
    index = (zlib.crc32(prompt.encode("utf-8", "replace")) + turn) % len(_TEMPLATES)
    echo = " ".join(words[:12]).replace("*", "") or "(empty)"
    first = words[0].replace("`", "") if words else "nothing"
    return _TEMPLATES[index].format(echo=echo, words=len(words), first=first)


def tool_reply(outputs: list[str]) -> str:
    """The reply after tool outputs were submitted."""
    joined = "\n".join(f"- `{o[:200]}`" for o in outputs)
    return f"The tool returned:\n\n{joined}\n\nThat settles it."


def tokens(text: str) -> list[str]:
    """Split text into small tokens that join back to exactly ``text``."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """A rough token count used for usage figures."""
    return max(1, len(tokens(text)))


def directive(prompt: str) -> str | None:
    """A fault the prompt asks for: ``#fail``, ``#incomplete`` or ``#expire``."""
    for word in ("#fail", "#incomplete", "#expire"):
        if word in prompt:
            return word[1:]
    return None


def reasoning_summary(prompt: str, plan: str) -> str:
    """What a reasoning model says it thought, before it ``plan``s (calls, searches, answers)."""
    words = prompt.split()
    echo = " ".join(words[:12]).replace("*", "") or "an empty message"
    return (
        f"**Reading the request**\n\nThe user wrote *{echo}* ({len(words)} words). "
        f"The best next step is to {plan}."
    )


def search_sources(prompt: str) -> list[tuple[str, str]]:
    """The (title, URL) of the pages a web search finds for ``prompt``."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", prompt)][:4] or ["search"]
    slug = "-".join(words)
    return [
        (f"{' '.join(words).capitalize()} - Example Encyclopedia", f"https://example.com/{slug}"),
        (f"Notes on {words[0]}", f"https://example.org/notes/{slug}"),
    ]
