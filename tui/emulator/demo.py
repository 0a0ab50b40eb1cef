"""Demo data: threads and conversations of varied length, metadata and tool calls."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.emulator import objects, replies, steps
from tui.emulator.state import ConversationRec, Namespace, ResponseRec, RunRec, ThreadRec

if TYPE_CHECKING:
    from tui.emulator.app import Emulator

Obj = dict[str, Any]
DEMO_KEY = "demo-key"
THREAD_COUNT = 40
CONVERSATION_COUNT = 15
LONG_THREAD = 10_000
LONG_CONVERSATION = 2_000

_TOPICS = (
    "Refund policy questions",
    "Debugging a flaky SQL migration",
    "Onboarding checklist",
    "Translate release notes to Japanese",
    "Weather lookups for the trip",
    "Summarise the Q3 incident report",
    "Regex for parsing log lines",
    "Kubernetes pod keeps restarting",
    "Write a haiku about databases",
    "Compare pricing tiers",
    "Draft a polite follow-up email",
    "Explain Rust lifetimes",
    "Plan a team offsite",
    "Markdown table of API limits",
    "Customer complaint triage",
    "Unit tests for the billing module",
    "Рецепт борща",
    "中文客服对话",
    "Data retention policy review",
    "Shell one-liners for CSV files",
)
_PROMPTS = (
    "How do I list the messages of a thread?",
    "Can you show me some code for that?",
    "Give me a comparison table.",
    "Say hello in a few languages.",
    "Summarise what we discussed so far.",
    "What should I check first?",
    "Why does this fail on Mondays?",
    "Make it shorter, please.",
)


@dataclass
class DemoManifest:
    """The IDs of the seeded items, for tracking them in a registry."""

    threads: list[str] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    assistants: list[str] = field(default_factory=list)
    completions: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)  # each chain's newest response
    long_thread: str = ""
    long_conversation: str = ""
    tool_thread: str = ""
    failed_thread: str = ""


class _Seeder:
    def __init__(self, emulator: Emulator, ns: Namespace, epoch: float) -> None:
        self.emu = emulator
        self.ids = emulator.ids
        self.ns = ns
        self.epoch = int(epoch)
        self.rng = random.Random(emulator.config.seed + 7)
        self.manifest = DemoManifest()

    def metadata(self, index: int, title: str) -> dict[str, str]:
        return {
            "title": title,
            "user_id": f"user_{index % 7:03d}",
            "session_id": f"sess_{self.rng.randrange(16**8):08x}",
        }

    def assistant(self, name: str, tools: list[Obj]) -> Obj:
        body = {"model": "gpt-4.1", "name": name, "instructions": "Be brief.", "tools": tools}
        obj = objects.assistant(self.ids.new("asst"), body, self.epoch - 100 * 86400)
        self.manifest.assistants.append(obj["id"])
        return self.ns.assistants.add(obj)

    def thread(self, index: int, title: str, turns: int, asst: Obj, start: int) -> ThreadRec:
        meta = self.metadata(index, title)
        rec = ThreadRec(objects.thread(self.ids.new("thread"), meta, start))
        self.ns.threads[rec.obj["id"]] = rec
        self.manifest.threads.append(rec.obj["id"])
        for turn in range(turns):
            stamp = start + turn * 30
            prompt = _PROMPTS[(index + turn) % len(_PROMPTS)] if turn else title
            self._message(rec, "user", prompt, stamp)
            run = self._run(rec, asst, stamp + 1, "completed")
            self._reply(rec, replies.reply_text(prompt, turn), stamp + 2, run)
        return rec

    def _message(
        self, rec: ThreadRec, role: str, text: str, stamp: int, run: Obj | None = None
    ) -> Obj:
        msg = objects.message(
            self.ids.new("msg"),
            rec.obj["id"],
            role,
            [objects.text_block(text)],
            stamp,
            run_id=run["id"] if run else None,
            assistant_id=run["assistant_id"] if run else None,
        )
        return rec.messages.add(msg)

    def _reply(self, rec: ThreadRec, text: str, stamp: int, run: Obj, number: int = 0) -> None:
        msg = self._message(rec, "assistant", text, stamp, run)
        rec.runs[run["id"]].steps.add(steps.message_step(run, msg["id"], stamp, number))

    def _run(self, rec: ThreadRec, asst: Obj, stamp: int, status: str) -> Obj:
        run = objects.run(self.ids.new("run"), rec.obj["id"], asst, {}, stamp)
        run.update(status=status, started_at=stamp, usage=objects.usage(12, 60), expires_at=None)
        run["completed_at" if status == "completed" else "failed_at"] = stamp + 1
        rec.runs[run["id"]] = RunRec(run)
        rec.run_order.add(run)
        return run

    def tool_thread(self, asst: Obj, start: int) -> None:
        rec = self.thread(THREAD_COUNT - 2, "Weather lookups with a tool", 1, asst, start)
        prompt = "What's the weather in Lisbon?"
        self._message(rec, "user", prompt, start + 100)
        run = self._run(rec, asst, start + 101, "completed")
        call: Obj = {
            "id": self.ids.new("call"),
            "type": "function",
            "function": {
                "name": "get_weather",
                "arguments": json.dumps({"city": "Lisbon"}),
                "output": json.dumps({"temp_c": 21, "sky": "clear"}),
            },
        }
        step = objects.step(
            self.ids.new("step"),
            run,
            "tool_calls",
            {"type": "tool_calls", "tool_calls": [call]},
            start + 101,
        )
        step.update(status="completed", completed_at=start + 102)
        rec.runs[run["id"]].steps.add(step)
        reply = replies.tool_reply([call["function"]["output"]])
        self._reply(rec, reply, start + 103, run, number=1)
        self.manifest.tool_thread = rec.obj["id"]

    def failed_thread(self, asst: Obj, start: int) -> None:
        rec = self.thread(THREAD_COUNT - 1, "A run that failed", 1, asst, start)
        self._message(rec, "user", "Please do the impossible #fail", start + 100)
        run = self._run(rec, asst, start + 101, "failed")
        run["last_error"] = {
            "code": "rate_limit_exceeded",
            "message": "You exceeded your current quota.",
        }
        self.manifest.failed_thread = rec.obj["id"]

    def conversation(self, index: int, title: str, turns: int, start: int) -> ConversationRec:
        rec = ConversationRec(
            objects.conversation(self.ids.new("conv"), self.metadata(index, title), start)
        )
        self.ns.conversations[rec.obj["id"]] = rec
        self.manifest.conversations.append(rec.obj["id"])
        for turn in range(turns):
            prompt = _PROMPTS[(index + turn) % len(_PROMPTS)] if turn else title
            user = [{"type": "input_text", "text": prompt}]
            rec.items.add(objects.input_message(self.ids.conversation_message(), "user", user))
            answer = [objects.output_text(replies.reply_text(prompt, turn))]
            rec.items.add(
                objects.input_message(self.ids.conversation_message(), "assistant", answer)
            )
        return rec

    def completions(self, base: int, day: int) -> None:
        """Stored chat completions, older than the rest of the demo."""
        from tui.emulator.chat import ChatApi

        chat = ChatApi(self.emu)
        for title, prompt, at in COMPLETIONS:
            body = {
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "Answer briefly."},
                    {"role": "user", "content": prompt},
                ],
                "metadata": {"title": title, "user_id": "u-42"},
                "store": True,
            }
            made = chat.stored_at(self.ns, body, base + int(at * day))
            self.manifest.completions.append(made["id"])

    def chain(self, title: str, prompts: tuple[str, ...], start: int) -> None:
        """A response chain: each response continues the one before (the context kept)."""
        context: list[Obj] = []
        previous: str | None = None
        for turn, prompt in enumerate(prompts):
            at = start + 120 * turn
            body: Obj = {"model": "gpt-4.1", "previous_response_id": previous, "store": True}
            body["metadata"] = {"title": title, "user_id": "u-42"}
            obj = objects.response(self.ids.new("resp"), body, None, at)
            said = [{"type": "input_text", "text": prompt}]
            asked = objects.input_message(self.ids.conversation_message(), "user", said)
            answer = [objects.output_text(replies.reply_text(prompt, turn))]
            reply = objects.input_message(self.ids.conversation_message(), "assistant", answer)
            obj.update(status="completed", completed_at=at + 2, output=[reply])
            obj["usage"] = objects.response_usage(12 * (turn + 1), 40)
            rec = ResponseRec(obj, input_items=[*context, asked], inherited=len(context))
            self.ns.responses[obj["id"]] = rec
            context = rec.context()
            previous = obj["id"]
        assert previous is not None
        self.manifest.chains.append(previous)

    def tool_conversation(self, start: int) -> None:
        rec = self.conversation(CONVERSATION_COUNT - 1, "Order status with a tool call", 1, start)
        call_id = self.ids.new("call")
        rec.items.add(
            objects.function_call(
                self.ids.new("fc"), call_id, "lookup_order", json.dumps({"order": "A-1042"})
            )
        )
        output = json.dumps({"status": "shipped", "eta": "2 days"})
        rec.items.add(objects.function_call_output(self.ids.new("fco"), call_id, output))
        rec.items.add(
            objects.input_message(
                self.ids.conversation_message(),
                "assistant",
                [objects.output_text(replies.tool_reply([output]))],
            )
        )


def seed_threads(emulator: Emulator, api_key: str, count: int) -> list[str]:
    """Create ``count`` empty threads under ``api_key``; their IDs, oldest first.

    The IDs follow from the emulator's seed, so another emulator with the same seed makes
    the same ones (a benchmark learns them without a list endpoint).
    """
    ns = emulator.namespace(api_key)
    epoch = int(emulator.config.epoch or time.time())
    made = []
    for index in range(count):
        obj = objects.thread(emulator.ids.new("thread"), {"batch": str(index // 1000)}, epoch)
        ns.threads[obj["id"]] = ThreadRec(obj)
        made.append(obj["id"])
    return made


def seed_completions(emulator: Emulator, api_key: str, count: int) -> None:
    """Store ``count`` small chat completions under ``api_key`` (a question and "ok" each)."""
    from tui.emulator.chat import Answer, ChatApi

    chat, ns = ChatApi(emulator), emulator.namespace(api_key)
    epoch = int(emulator.config.epoch or time.time())
    said = Answer("ok", [], "stop")
    for index in range(count):
        body = {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"question {index}"}],
            "metadata": {"batch": str(index // 1000)},
        }
        chat.stored_at(ns, body, epoch - count + index, said)


def seed_conversations(
    emulator: Emulator, api_key: str, count: int, *, items: int = 10, responses: int = 5
) -> dict[str, list[str]]:
    """Store ``count`` conversations of ``items`` items and ``responses`` responses each.

    Returns each conversation's ID with the IDs of the stored responses that wrote into
    it, oldest first.

    As the real API does, the responses stay when their conversation is deleted. The IDs
    follow from the emulator's seed, as :func:`seed_threads`'s do.
    """
    ns = emulator.namespace(api_key)
    epoch = int(emulator.config.epoch or time.time())
    made: dict[str, list[str]] = {}
    for index in range(count):
        at = epoch - count + index
        rec = ConversationRec(objects.conversation(emulator.ids.new("conv"), {}, at))
        ns.conversations[rec.obj["id"]] = rec
        for number in range(items):
            role = "user" if number % 2 == 0 else "assistant"
            part = objects.output_text if role == "assistant" else _input_text
            said = [part(f"item {number} of conversation {index}")]
            rec.items.add(objects.input_message(emulator.ids.conversation_message(), role, said))
        made[rec.obj["id"]] = [
            _stored_response(emulator, ns, rec.obj["id"], at) for _ in range(responses)
        ]
    return made


def _input_text(text: str) -> Obj:
    return {"type": "input_text", "text": text}


def _stored_response(emulator: Emulator, ns: Namespace, conv_id: str, at: int) -> str:
    """A completed stored response that wrote into ``conv_id``; its ID."""
    body: Obj = {"model": "gpt-4.1", "store": True, "conversation": conv_id}
    obj = objects.response(emulator.ids.new("resp"), body, conv_id, at)
    answer = objects.input_message(
        emulator.ids.conversation_message(), "assistant", [objects.output_text("ok")]
    )
    obj.update(status="completed", completed_at=at, output=[answer])
    ns.responses[obj["id"]] = ResponseRec(obj, input_items=[])
    return str(obj["id"])


def seed_chain(emulator: Emulator, api_key: str, count: int) -> str:
    """Store a chain of ``count`` responses under ``api_key``; its newest response's ID.

    The IDs follow from the emulator's seed, as :func:`seed_threads`'s do.
    """
    epoch = int(emulator.config.epoch or time.time())
    seeder = _Seeder(emulator, emulator.namespace(api_key), epoch)
    prompts = tuple(f"step {n}" for n in range(count))
    seeder.chain(f"A chain of {count} responses", prompts, epoch - 120 * count)
    return seeder.manifest.chains[-1]


# Stored chat completions of the demo: title, question, day after the demo's first (before
# it: they list below the threads and conversations, which the app's tests walk by place).
COMPLETIONS = (
    ("Kyoto in autumn 京都の秋 🍁", "Plan three days in Kyoto in November.", -0.4),
    ("Summarise the refund policy", "Summarise our refund policy in two lines.", -1.2),
    ("SQL for weekly signups", "Write SQL counting signups per week.", -2.5),
    ("Rename variables in Go", "Suggest clearer names for these Go variables.", -3.1),
)


# Response chains of the demo (each response continues the one before): title, prompts,
# day after the demo's first (before it, below the stored completions).
CHAINS = (
    (
        "Tokyo food crawl 東京 🍜",
        ("Plan a ramen crawl in Tokyo.", "Add a sushi breakfast.", "Keep it under ¥10,000."),
        -4.0,
    ),
    ("Release notes draft", ("Draft release notes for version 2.3.",), -5.5),
)


def seed_demo(emulator: Emulator, api_key: str = DEMO_KEY) -> DemoManifest:
    """Fill the namespace of ``api_key`` with demo data and say what was made."""
    epoch = emulator.config.epoch or time.time()
    seeder = _Seeder(emulator, emulator.namespace(api_key), epoch)
    helper = seeder.assistant("Demo helper", [])
    tool_asst = seeder.assistant(
        "Weather assistant",
        [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather for a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
    )
    day = 86400
    base = int(epoch) - 60 * day
    long_thread = seeder.thread(0, "A very long support thread", LONG_THREAD // 2, helper, base)
    seeder.manifest.long_thread = long_thread.obj["id"]
    for index in range(1, THREAD_COUNT - 2):
        turns = seeder.rng.choice((1, 2, 3, 5, 8, 13, 21))
        start = base + index * day + seeder.rng.randrange(day)
        seeder.thread(index, _TOPICS[index % len(_TOPICS)], turns, helper, start)
    seeder.tool_thread(tool_asst, base + 50 * day)
    seeder.failed_thread(helper, base + 55 * day)
    long_conv = seeder.conversation(
        0, "A long planning conversation", LONG_CONVERSATION // 2, base + day
    )
    seeder.manifest.long_conversation = long_conv.obj["id"]
    for index in range(1, CONVERSATION_COUNT - 1):
        turns = seeder.rng.choice((1, 2, 4, 6, 10))
        seeder.conversation(
            index, _TOPICS[(index * 3) % len(_TOPICS)], turns, base + (index * 4) * day
        )
    seeder.tool_conversation(base + 58 * day)
    seeder.completions(base, day)
    for title, prompts, at in CHAINS:
        seeder.chain(title, prompts, base + int(at * day))
    return seeder.manifest
