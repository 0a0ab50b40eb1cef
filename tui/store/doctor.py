"""Health checks of a registry: the file, its schema, and what its tables must agree on.

Every check reads; none changes anything. Opening the registry is the one exception the
other commands share: a registry from an older version is brought to the current schema,
and the file is made private to its owner again (mode 0600) — so the file's mode and
schema are read before it is opened.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui.store import schema, values
from tui.store.capabilities import Capability
from tui.store.deletions import PAUSED
from tui.store.errors import RegistryError
from tui.store.files import resolve_path
from tui.store.registry import Registry
from tui.store.search import ACTIVITY_SHIFT

SAMPLES = 3
REPORT = "Please report it, with the output of `thread-browser doctor --json`."
REPAIR = (
    "Run `thread-browser doctor --repair`: it rebuilds this from the items and their "
    "archive (nothing else changes)."
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: what is wrong, what it means, and what to do about it."""

    check: str
    problem: str
    meaning: str
    action: str

    def to_json(self) -> dict[str, str]:
        """The finding as a JSON object."""
        return {
            "check": self.check,
            "problem": self.problem,
            "meaning": self.meaning,
            "action": self.action,
        }


@dataclass
class Checkup:
    """The result of every check run on one registry file."""

    path: Path
    checks: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version: int | None = None
    servers: list[tuple[str, Capability]] = field(default_factory=list)  # what each offers

    @property
    def healthy(self) -> bool:
        """True when no check found a problem."""
        return not self.findings

    def failed(self, check: str) -> bool:
        """True when ``check`` found a problem."""
        return any(f.check == check for f in self.findings)

    def to_json(self) -> dict[str, object]:
        """The checkup as a JSON object."""
        return {
            "path": str(self.path),
            "healthy": self.healthy,
            "schema": self.version,
            "checks": [{"name": c, "ok": not self.failed(c)} for c in self.checks],
            "findings": [f.to_json() for f in self.findings],
            "notes": self.notes,
            "servers": [
                {"connection": label, "name": c.name, "offered": c.offered, "detail": c.detail}
                for label, c in self.servers
            ],
        }


Check = Callable[[Registry], Awaitable[list[Finding]]]


async def examine(path: str | Path | None = None) -> Checkup:
    """Check the registry at ``path`` (``--db``, ``THREAD_BROWSER_DB`` or the default)."""
    checkup = Checkup(resolve_path(path))
    if not checkup.path.is_file():
        checkup.checks.append("file")
        checkup.findings.append(_absent(checkup.path))
        return checkup
    checkup.checks.append("file mode")
    checkup.findings += _file_modes(checkup.path)
    checkup.checks.append("schema")
    found = _schema(checkup)
    if found:
        checkup.findings += found
        return checkup
    try:
        async with await Registry.open(checkup.path) as registry:
            for name, check in CHECKS:
                checkup.checks.append(name)
                checkup.findings += await check(registry)
            checkup.servers = await registry.capabilities.all()
            checkup.notes += await paused(registry)
    except RegistryError as exc:
        checkup.findings.append(_unreadable(checkup.checks[-1], str(exc)))
    return checkup


def _absent(path: Path) -> Finding:
    return Finding(
        "file",
        f"There is no registry at {path}.",
        "Nothing is tracked in this file: it was never created, or it was moved or deleted.",
        "Check --db and THREAD_BROWSER_DB. Any command that tracks items (for example "
        "`thread-browser import FILE`) creates it.",
    )


def _file_modes(path: Path) -> list[Finding]:
    found = []
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(each.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            found.append(
                Finding(
                    "file mode",
                    f"{each} was readable by other users (mode {mode:04o}, not 0600).",
                    "Others on this machine may have read the IDs, titles and archived "
                    "messages in it (it never holds a key). Opening it for this check made "
                    "it 0600 again, as every command does.",
                    "Check who could read it meanwhile, and keep the registry in a folder "
                    "only you can read (--db or THREAD_BROWSER_DB picks where).",
                )
            )
    return found


def _schema(checkup: Checkup) -> list[Finding]:
    """Read the schema version without opening the registry for writing."""
    try:
        conn = sqlite3.connect(f"{checkup.path.as_uri()}?mode=ro", uri=True)
        try:
            checkup.version = schema.version(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [_unreadable("schema", f"{checkup.path} cannot be read as a registry ({exc}).")]
    if checkup.version > schema.LATEST:
        return [
            Finding(
                "schema",
                f"The registry is at schema {checkup.version}; this Thread Browser knows up "
                f"to {schema.LATEST}.",
                "A newer Thread Browser wrote it. This one cannot check or use it; the file "
                "was left untouched.",
                "Upgrade Thread Browser, then run the check again.",
            )
        ]
    if checkup.version < schema.LATEST:
        checkup.notes.append(
            f"The registry was at schema {checkup.version}; opening it brought it to "
            f"{schema.LATEST} (nothing was lost)."
        )
    return []


def _unreadable(check: str, reason: str) -> Finding:
    return Finding(
        check,
        reason,
        "The file is damaged or is not a Thread Browser registry: nothing can be read from it.",
        "Move it aside (keep it: it may be recoverable with `sqlite3 FILE .recover`) and "
        "point --db at another file, or start a new one.",
    )


def _sample(ids: Sequence[object]) -> str:
    shown = ", ".join(str(i) for i in ids[:SAMPLES])
    more = f" and {len(ids) - SAMPLES:,} more" if len(ids) > SAMPLES else ""
    return f" ({shown}{more})"


async def _column(registry: Registry, query: str, params: tuple[object, ...] = ()) -> list[object]:
    return [row[0] for row in await registry.fetchall(query, params)]


async def _integrity(registry: Registry) -> list[Finding]:
    rows = await _column(registry, "PRAGMA integrity_check")
    if rows == ["ok"]:
        return []
    return [
        Finding(
            "integrity",
            f"SQLite found damage in the file: {'; '.join(str(r) for r in rows[:SAMPLES])}.",
            "Some pages of the file are damaged (a disk or a crash mid-write): what they "
            "hold may be wrong or unreadable.",
            "Copy the file aside now, then rebuild it with `sqlite3 FILE .recover | sqlite3 "
            "NEW` and point --db at the new one. " + REPORT,
        )
    ]


# Orphans of these tables have checks of their own, in words that say what they mean.
LAST_EVENT = (
    "(SELECT event FROM journal WHERE journal.item_pk = items.pk ORDER BY journal.pk DESC LIMIT 1)"
)
_EXPLAINED = ("messages", "deletions", "migrations", "migration_attempts")


async def _foreign_keys(registry: Registry) -> list[Finding]:
    rows = await registry.fetchall("PRAGMA foreign_key_check")
    tables = sorted({str(r[0]) for r in rows if r[0] not in _EXPLAINED})
    if not tables:
        return []
    count = sum(1 for r in rows if r[0] in tables)
    return [
        Finding(
            "links",
            f"Rows of {', '.join(tables)} pointing at rows that do not exist: {count:,}.",
            "Journal entries, metadata or items refer to items or connections that are gone; "
            "they show nowhere, and the rest of the registry is not affected.",
            "Nothing needs doing for your data. " + REPORT,
        )
    ]


async def _search_items(registry: Registry) -> list[Finding]:
    key = f"items.last_activity * {ACTIVITY_SHIFT} + items.pk"
    missing = await _column(
        registry, f"SELECT items.id FROM items WHERE {key} NOT IN (SELECT rowid FROM items_fts)"
    )
    stray = await _column(
        registry,
        f"SELECT rowid FROM items_fts WHERE rowid NOT IN (SELECT {key} FROM items)",
    )
    found = []
    if missing:
        found.append(
            _index_finding(
                f"Items missing from the search index: {len(missing):,}{_sample(missing)}."
            )
        )
    if stray:
        found.append(_index_finding(f"Search index entries of no item: {len(stray):,}."))
    return found


def _index_finding(problem: str) -> Finding:
    return Finding(
        "search index",
        problem,
        "Filtering by words may miss items or list them out of order; the items and their "
        "archives are intact.",
        REPAIR,
    )


async def _search_archive(registry: Registry) -> list[Finding]:
    missing = await _column(
        registry,
        "SELECT count(*) FROM messages WHERE pk NOT IN (SELECT id FROM messages_fts_docsize)",
    )
    stray = await _column(
        registry,
        "SELECT count(*) FROM messages_fts_docsize WHERE id NOT IN (SELECT pk FROM messages)",
    )
    problems = []
    if missing[0]:
        problems.append(f"Archived messages missing from the search index: {missing[0]:,}.")
    if stray[0]:
        problems.append(f"Search index entries of no archived message: {stray[0]:,}.")
    if not problems:
        return []
    return [
        Finding(
            "archive search index",
            " ".join(problems),
            "Filtering by words may miss items whose archived messages hold them; the "
            "archive itself is intact.",
            REPAIR,
        )
    ]


async def _archive_orphans(registry: Registry) -> list[Finding]:
    rows = await _column(
        registry,
        "SELECT DISTINCT item_pk FROM messages WHERE item_pk NOT IN (SELECT pk FROM items)",
    )
    if not rows:
        return []
    count = await _column(
        registry,
        "SELECT count(*) FROM messages WHERE item_pk NOT IN (SELECT pk FROM items)",
    )
    return [
        Finding(
            "archive",
            f"Archived messages of no tracked item: {count[0]:,} (item rows "
            f"{_sample(rows).strip(' ()')}).",
            "These messages cannot be shown, searched or exported: the item they were "
            "archived for is no longer in the registry.",
            "Nothing else is affected. " + REPORT,
        )
    ]


async def _message_counts(registry: Registry) -> list[Finding]:
    wrong = await _column(
        registry,
        "SELECT items.id FROM items LEFT JOIN (SELECT item_pk, count(*) AS n FROM messages "
        "GROUP BY item_pk) AS archived ON archived.item_pk = items.pk "
        "WHERE items.message_count != coalesce(archived.n, 0)",
    )
    if not wrong:
        return []
    return [
        Finding(
            "message counts",
            f"Items whose message count differs from their archive: {len(wrong):,}"
            f"{_sample(wrong)}.",
            "The list shows the wrong number of messages for them; the messages themselves "
            "are intact.",
            REPAIR,
        )
    ]


async def _metadata_index(registry: Registry) -> list[Finding]:
    wrong = await _column(
        registry,
        "SELECT items.id FROM items LEFT JOIN (SELECT item_pk, count(*) AS n FROM item_meta "
        "GROUP BY item_pk) AS indexed ON indexed.item_pk = items.pk WHERE "
        "coalesce(indexed.n, 0) != (SELECT count(*) FROM json_each(items.metadata))",
    )
    if not wrong:
        return []
    return [
        Finding(
            "metadata index",
            f"Items whose metadata the key=value filter does not see: {len(wrong):,}"
            f"{_sample(wrong)}.",
            "Filtering by key=value may miss or wrongly list them; their metadata is intact.",
            REPAIR,
        )
    ]


async def _deletions(registry: Registry) -> list[Finding]:
    pending = await _column(
        registry,
        "SELECT items.id FROM deletions CROSS JOIN items ON items.pk = deletions.item_pk "
        f"WHERE {LAST_EVENT} IS NOT ? ORDER BY deletions.confirmed_at, items.pk",
        (PAUSED,),
    )
    orphans = await _column(
        registry, "SELECT item_pk FROM deletions WHERE item_pk NOT IN (SELECT pk FROM items)"
    )
    stuck = await _column(
        registry,
        "SELECT id FROM items WHERE state = 'deleting' "
        "AND pk NOT IN (SELECT item_pk FROM deletions)",
    )
    found = []
    if pending:
        found.append(_pending(pending))
    if orphans:
        found.append(
            Finding(
                "deletions",
                f"Recorded deletions of items no longer in the registry: {len(orphans):,}.",
                "A deletion record was left behind; it names nothing that can be resumed.",
                REPAIR,
            )
        )
    if stuck:
        found.append(_stuck(stuck))
    return found


async def paused(registry: Registry) -> list[str]:
    """A note on deletions a run left paused on purpose (not damage: they wait to resume)."""
    ids = await _column(
        registry,
        "SELECT items.id FROM deletions CROSS JOIN items ON items.pk = deletions.item_pk "
        f"WHERE {LAST_EVENT} IS ? ORDER BY deletions.confirmed_at, items.pk",
        (PAUSED,),
    )
    if not ids:
        return []
    return [
        f"{len(ids):,} deletions wait to be resumed{_sample(ids)}: a run paused them when "
        "the server asked for a long wait. Finish them later with `thread-browser delete "
        "--resume` (or keep the items with --put-back)."
    ]


def _pending(ids: Sequence[object]) -> Finding:
    return Finding(
        "deletions",
        f"Confirmed deletions that never finished: {len(ids):,}{_sample(ids)}.",
        "A deletion was interrupted (a crash, a kill, a lost connection) before these items' "
        "outcomes were known: each may or may not be deleted on its server. (While a "
        "deletion is running, its items show here too.)",
        "Run `thread-browser delete --resume` to finish them (a 404 counts as deleted), or "
        "`thread-browser delete --put-back` to give up and keep them as they were.",
    )


def _stuck(ids: Sequence[object]) -> Finding:
    return Finding(
        "deletions",
        f"Items marked 'deleting' with no deletion in progress: {len(ids):,}{_sample(ids)}.",
        "They stay in the list as being deleted, but nothing will finish or undo it.",
        "Delete them again with `thread-browser delete ID…` (a 404 counts as deleted). " + REPORT,
    )


async def _migrations(registry: Registry) -> list[Finding]:
    return [
        *await _migration_links(registry),
        *await _migration_counts(registry),
        *await _unanswered_creates(registry),
    ]


async def _migration_links(registry: Registry) -> list[Finding]:
    broken = await _column(
        registry,
        "SELECT coalesce(thread.id, migrations.thread_pk) FROM migrations "
        "LEFT JOIN items AS thread ON thread.pk = migrations.thread_pk "
        "LEFT JOIN items AS conversation ON conversation.pk = migrations.conversation_pk "
        "WHERE thread.pk IS NULL OR conversation.pk IS NULL "
        "OR thread.kind != 'thread' OR conversation.kind != 'conversation'",
    )
    if not broken:
        return []
    return [
        Finding(
            "migrations",
            "Thread-to-conversation links to items that are missing or of the wrong kind: "
            f"{len(broken):,}{_sample(broken)}.",
            "Those threads cannot name the conversation they were carried into, and a new "
            "migration of them would not know one was started.",
            "Check the conversation on its server; `thread-browser migrate THREAD_ID` "
            "carries the thread again if needed. " + REPORT,
        )
    ]


async def _migration_counts(registry: Registry) -> list[Finding]:
    rows = await registry.fetchall(
        "SELECT thread.id, conversation.id, migrations.total, migrations.found "
        "FROM migrations JOIN items AS thread ON thread.pk = migrations.thread_pk "
        "JOIN items AS conversation ON conversation.pk = migrations.conversation_pk "
        "WHERE migrations.found IS NOT NULL AND migrations.found != migrations.total "
        "AND conversation.state NOT IN ('deleted', 'missing') ORDER BY migrations.at"
    )
    if not rows:
        return []
    said = [f"{r[0]} -> {r[1]}: {r[3]} held, {r[2]} carried" for r in rows]
    return [
        Finding(
            "migrations",
            "Migrated threads whose conversation holds another number of items than were "
            f"carried: {len(rows):,}{_sample(said)}.",
            "More items than carried are duplicates (a server did work whose answer never "
            "came, and it was sent again); fewer are messages that never arrived. The "
            "conversation does not hold the thread's history as it was.",
            "Open each conversation and check it. To carry a thread again, delete its "
            "conversation (`thread-browser delete CONVERSATION_ID`), then run "
            "`thread-browser migrate THREAD_ID`.",
        )
    ]


async def _unanswered_creates(registry: Registry) -> list[Finding]:
    rows = await registry.fetchall(
        "SELECT coalesce(thread.id, migration_attempts.thread_pk), migration_attempts.token "
        "FROM migration_attempts LEFT JOIN items AS thread "
        "ON thread.pk = migration_attempts.thread_pk ORDER BY migration_attempts.at"
    )
    if not rows:
        return []
    said = [f"{r[0]}: migration_attempt={r[1]}" for r in rows]
    return [
        Finding(
            "migrations",
            "Conversations created for a migration whose answer never came: "
            f"{len(rows):,}{_sample(said)}.",
            "The server may hold a conversation made for each of these threads that nothing "
            "here tracks; it carries the marker shown in its metadata. (While a migration "
            "is creating its conversation, it shows here too.)",
            "Run `thread-browser migrate THREAD_ID` again: where the server lists "
            "conversations, it finds the one made and tracks it. Otherwise look on the "
            "server for a conversation with that metadata and delete it before migrating "
            "again.",
        )
    ]


async def _stored_values(registry: Registry) -> list[Finding]:
    found = []
    times = await values.wrong_times(registry)
    if times:
        said = "; ".join(f"{w.count:,} in {w.column.name}{_sample(w.samples)}" for w in times)
        found.append(
            Finding(
                "stored values",
                f"Times stored as text, fractions, milliseconds or out of range: {said}.",
                "Another program or an older tracking hook wrote them: `list` and the app "
                "may fail to start, and the search index cannot order these items.",
                "Run `thread-browser doctor --repair`: it reads each as seconds, "
                "milliseconds or ISO-8601 time and stores whole seconds; a time it cannot "
                "read is cleared (a last activity becomes the time it was tracked).",
            )
        )
    ids = await values.wrong_ids(registry)
    if ids:
        found.append(
            Finding(
                "stored values",
                "Items whose ID is not a usable ID of their kind: "
                f"{len(ids):,}{_sample([repr(i[1]) for i in ids])}.",
                "They cannot be opened, checked or deleted on a server.",
                "Run `thread-browser doctor --repair`: an ID with spaces or quotes around a "
                "usable one is rewritten; an item holding nothing but its bad ID (no "
                "archive) is removed, and the journal says so. " + REPORT,
            )
        )
    return found


CHECKS: tuple[tuple[str, Check], ...] = (
    ("integrity", _integrity),
    ("links", _foreign_keys),
    ("search index", _search_items),
    ("archive search index", _search_archive),
    ("archive", _archive_orphans),
    ("message counts", _message_counts),
    ("metadata index", _metadata_index),
    ("deletions", _deletions),
    ("migrations", _migrations),
    ("stored values", _stored_values),
)
