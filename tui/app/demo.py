"""Demo mode: the emulator with demo data, a registry tracking it, no key, no network."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tui.config import DEMO_KEY_ENV, Profile, Settings
from tui.emulator import Emulator, EmulatorConfig, EmulatorServer
from tui.emulator.chat import chat_store
from tui.emulator.demo import DEMO_KEY, DemoManifest, seed_demo
from tui.model import Connection, Kind
from tui.store import Registry


@dataclass
class DemoSession:
    """A running demo: its server, its profile and its registry file."""

    server: EmulatorServer
    manifest: DemoManifest
    profile: Profile
    db_path: Path

    def stop(self) -> None:
        """Stop the emulator."""
        self.server.stop()


def start_demo(
    db: str | os.PathLike[str] | None, *, config: EmulatorConfig | None = None, port: int = 0
) -> DemoSession:
    """Serve the emulator with demo data on a loopback port (0: a free one)."""
    emulator = Emulator(config or EmulatorConfig(token_delay_ms=15))
    manifest = seed_demo(emulator, DEMO_KEY)
    server = EmulatorServer(emulator, port=port).start()
    os.environ[DEMO_KEY_ENV] = DEMO_KEY  # in this process only; the demo key is no secret
    profile = Profile("demo", Connection(server.base_url), key_env=DEMO_KEY_ENV)
    path = Path(db) if db else Path(tempfile.mkdtemp(prefix="thread-browser-demo-")) / "demo.db"
    return DemoSession(server, manifest, profile, path)


async def track_demo(session: DemoSession, registry: Registry) -> None:
    """Record every demo item in the registry, as an import would."""
    emulator = session.server.emulator
    ns = emulator.namespace(DEMO_KEY)
    connection = session.profile.connection
    for thread_id in session.manifest.threads:
        rec = ns.threads.get(thread_id)
        if rec is None:
            continue  # deleted during this demo session
        first = next(iter(rec.messages), None)
        text = first["content"][0]["text"]["value"] if first else None
        last = rec.messages.last()
        await _track(
            registry,
            connection,
            thread_id,
            Kind.THREAD,
            rec.obj,
            text,
            last["created_at"] if last else rec.obj["created_at"],
        )
    for conv_id in session.manifest.conversations:
        conv = ns.conversations.get(conv_id)
        if conv is None:
            continue
        first = next(iter(conv.items), None)
        text = first["content"][0].get("text") if first and first["type"] == "message" else None
        stamp = conv.obj["created_at"] + 60 * len(conv.items)
        await _track(registry, connection, conv_id, Kind.CONVERSATION, conv.obj, text, stamp)
    stored = chat_store(ns)
    for completion_id in session.manifest.completions:
        obj = stored.completions.get(completion_id)
        if obj is None:
            continue
        said = [m for m in stored.messages[completion_id] if m["role"] == "user"]
        text = said[0]["content"] if said else None
        fields = {**obj, "created_at": obj["created"]}
        await _track(
            registry, connection, completion_id, Kind.COMPLETION, fields, text, obj["created"]
        )
    await _track_chains(session, registry)


async def _track_chains(session: DemoSession, registry: Registry) -> None:
    """Record the demo's response chains, each under its newest response."""
    ns = session.server.emulator.namespace(DEMO_KEY)
    connection = session.profile.connection
    for head in session.manifest.chains:
        rec = ns.responses.get(head)
        if rec is None:
            continue
        said = [i for i in rec.input_items if i.get("role") == "user"]
        text = said[0]["content"][0].get("text") if said else None
        stamp = int(rec.obj["created_at"])
        await _track(registry, connection, head, Kind.RESPONSE, rec.obj, text, stamp)


async def _track(
    registry: Registry,
    connection: Connection,
    item_id: str,
    kind: Kind,
    obj: dict,
    first_text: str | None,
    last_activity: int,
) -> None:
    item, _ = await registry.track(
        item_id,
        kind,
        connection,
        source="demo",
        metadata=obj["metadata"],
        created_at=datetime.fromtimestamp(obj["created_at"], UTC),
        first_user_text=first_text,
    )
    await registry.touch(connection, item.id, datetime.fromtimestamp(last_activity, UTC))


def demo_settings(session: DemoSession, base: Settings) -> Settings:
    """The user's settings plus the demo profile."""
    return Settings({**base.profiles, "demo": session.profile}, "demo", base.path)
