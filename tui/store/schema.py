"""The registry schema, as forward upgrades keyed by ``PRAGMA user_version``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from tui.store.errors import RegistryTooNew

V1 = """
CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    base_url TEXT NOT NULL,
    organization TEXT NOT NULL DEFAULT '',
    project TEXT NOT NULL DEFAULT '',
    UNIQUE (base_url, organization, project)
);

CREATE TABLE items (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('thread', 'conversation')),
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    title TEXT NOT NULL,
    title_source TEXT NOT NULL DEFAULT 'id'
        CHECK (title_source IN ('metadata', 'message', 'id', 'user')),
    created_at INTEGER,
    last_activity INTEGER NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    message_count INTEGER NOT NULL DEFAULT 0,
    history_complete INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'missing', 'deleting', 'deleted')),
    tags TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    tracked_at INTEGER NOT NULL,
    UNIQUE (connection_id, id)
);
CREATE INDEX items_by_activity ON items (last_activity DESC, pk DESC);
CREATE INDEX items_by_id ON items (id);
CREATE INDEX items_by_state ON items (state, last_activity DESC, pk DESC);

CREATE TABLE item_meta (
    item_pk INTEGER NOT NULL REFERENCES items (pk),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key, value, item_pk)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE items_fts USING fts5 (
    id, title, metadata, content = 'items', content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, id, title, metadata)
        VALUES (new.pk, new.id, new.title, new.metadata);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, metadata ON items
WHEN old.title IS NOT new.title OR old.metadata IS NOT new.metadata BEGIN
    INSERT INTO items_fts (items_fts, rowid, id, title, metadata)
        VALUES ('delete', old.pk, old.id, old.title, old.metadata);
    INSERT INTO items_fts (rowid, id, title, metadata)
        VALUES (new.pk, new.id, new.title, new.metadata);
END;

CREATE TABLE messages (
    pk INTEGER PRIMARY KEY,
    item_pk INTEGER NOT NULL REFERENCES items (pk),
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER,
    body TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (item_pk, id)
);
CREATE INDEX messages_by_seq ON messages (item_pk, seq, pk);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.pk, new.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
WHEN old.body IS NOT new.body BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.pk, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.pk, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.pk, old.body);
END;

CREATE TABLE journal (
    pk INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    item_pk INTEGER REFERENCES items (pk),
    event TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_by_item ON journal (item_pk, pk);
"""

# The search index, keyed for order: an item's FTS rowid is its activity key,
# ``last_activity * 2**29 + pk`` (see ``tui.store.search.ACTIVITY_KEY``), so a text search
# walks the index newest first and stops after one page, whatever the number of matches.
# Contentless: it indexes the ID, the title and the metadata *values* (keys such as
# ``user_id`` are in every row and would make every prefix of them match everything).
# Prefix indexes make 1- to 3-character prefixes one lookup instead of a merge.
V2 = """
DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_update;
DROP TABLE items_fts;

CREATE VIRTUAL TABLE items_fts USING fts5 (
    id, title, meta, content = '', prefix = '1 2 3',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, id, title, meta) VALUES (
        new.last_activity * 536870912 + new.pk, new.id, new.title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.metadata)));
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, metadata, last_activity ON items
WHEN old.title IS NOT new.title OR old.metadata IS NOT new.metadata
    OR old.last_activity IS NOT new.last_activity BEGIN
    INSERT INTO items_fts (items_fts, rowid, id, title, meta) VALUES (
        'delete', old.last_activity * 536870912 + old.pk, old.id, old.title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(old.metadata)));
    INSERT INTO items_fts (rowid, id, title, meta) VALUES (
        new.last_activity * 536870912 + new.pk, new.id, new.title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.metadata)));
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, id, title, meta) VALUES (
        'delete', old.last_activity * 536870912 + old.pk, old.id, old.title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(old.metadata)));
END;
INSERT INTO items_fts (rowid, id, title, meta)
    SELECT last_activity * 536870912 + pk, id, title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(items.metadata))
    FROM items;
"""

# Per item: the assistant (threads) or model (conversations) the user chose for replies,
# and the function tools offered with a conversation's messages (a JSON list).
V3 = """
ALTER TABLE items ADD COLUMN choice TEXT;
ALTER TABLE items ADD COLUMN tools TEXT NOT NULL DEFAULT '[]';
"""

# Confirmed deletions not yet finished: a row is written for every confirmed item before
# any request goes out and removed when its outcome is known, so a crash leaves the exact
# interrupted set (and each item's state before it) for the next start to resume or undo.
V4 = """
CREATE TABLE deletions (
    item_pk INTEGER PRIMARY KEY REFERENCES items (pk),
    job TEXT NOT NULL,
    prior_state TEXT NOT NULL,
    archive INTEGER NOT NULL,
    confirmed_at REAL NOT NULL
);
"""

# Threads carried into conversations: the link is written when the conversation is
# created, ``carried`` counts the items added so far, ``complete`` says all are in.
V5 = """
CREATE TABLE migrations (
    thread_pk INTEGER PRIMARY KEY REFERENCES items (pk),
    conversation_pk INTEGER NOT NULL REFERENCES items (pk),
    carried INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL
);
CREATE INDEX migrations_by_conversation ON migrations (conversation_pk);
"""

# Why an archived history may be incomplete (``NULL`` when nothing casts doubt on it), and
# what each connection's server was found to offer or refuse (``threads``, ``streaming``,
# ``metadata``, ...), learnt as it is met.
V6 = """
ALTER TABLE items ADD COLUMN history_doubt TEXT;
CREATE TABLE capabilities (
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    name TEXT NOT NULL,
    offered INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    seen_at REAL NOT NULL,
    PRIMARY KEY (connection_id, name)
);
"""

# The archive only ever adds: when the server answers an archived message differently, the
# version it replaces is kept here (never changed, never deleted). ``shown_version`` names
# the kept version readers show instead of the newest one (``NULL``: the newest), set when
# the newest holds no content (empty, "[removed]") while a kept one did.
V7 = """
CREATE TABLE message_versions (
    pk INTEGER PRIMARY KEY,
    message_pk INTEGER NOT NULL REFERENCES messages (pk),
    data TEXT NOT NULL,
    body TEXT NOT NULL,
    has_content INTEGER NOT NULL,
    kept_at REAL NOT NULL
);
CREATE INDEX message_versions_by_message ON message_versions (message_pk, pk);
ALTER TABLE messages ADD COLUMN shown_version INTEGER REFERENCES message_versions (pk);
CREATE TRIGGER message_versions_never_change BEFORE UPDATE ON message_versions BEGIN
    SELECT RAISE(ABORT, 'archived message versions are never changed');
END;
CREATE TRIGGER message_versions_never_deleted BEFORE DELETE ON message_versions BEGIN
    SELECT RAISE(ABORT, 'archived message versions are never deleted');
END;
"""

# A migration's conversation create, written before the request goes out and removed once
# its outcome is known (the conversation linked, or refused by the server). A row left
# behind is a create whose answer never came: the server may hold a conversation with
# ``migration_attempt = token`` in its metadata that nothing tracks. ``found`` is how many
# items the conversation held when counted after the last batch (``NULL``: not counted).
V8 = """
CREATE TABLE migration_attempts (
    token TEXT PRIMARY KEY,
    thread_pk INTEGER NOT NULL REFERENCES items (pk),
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    at REAL NOT NULL
);
CREATE INDEX migration_attempts_by_thread ON migration_attempts (thread_pk, at);
ALTER TABLE migrations ADD COLUMN found INTEGER;
"""


def v9_connections_without_credentials(conn: sqlite3.Connection) -> None:
    """Take credentials (user-info, secret query values) out of every stored base URL.

    A row whose clean URL another row already has is merged into that row: its items,
    capabilities and migration attempts move there. An item tracked under both keeps
    its two rows; the old one stays on a connection whose URL ends in ``#merged-<id>``
    (a fragment no request sends), so no archive is lost and no secret is kept.
    """
    from tui.redact import without_credentials

    rows = conn.execute("SELECT id, base_url, organization, project FROM connections").fetchall()
    for row_id, url, organization, project in rows:
        clean = without_credentials(url).rstrip("/")
        if clean == url:
            continue
        twin = conn.execute(
            "SELECT id FROM connections WHERE base_url = ? AND organization = ? AND project = ?",
            (clean, organization, project),
        ).fetchone()
        if twin is None:
            conn.execute("UPDATE connections SET base_url = ? WHERE id = ?", (clean, row_id))
            continue
        _merge_connection(conn, row_id, twin[0])
        conn.execute(
            "UPDATE connections SET base_url = ? WHERE id = ?", (f"{clean}#merged-{row_id}", row_id)
        )


def _merge_connection(conn: sqlite3.Connection, old: int, survivor: int) -> None:
    """Move what belongs to connection ``old`` to ``survivor`` (items it lacks only)."""
    conn.execute(
        "UPDATE items SET connection_id = ? WHERE connection_id = ? AND id NOT IN "
        "(SELECT id FROM items WHERE connection_id = ?)",
        (survivor, old, survivor),
    )
    conn.execute(
        "UPDATE OR IGNORE capabilities SET connection_id = ? WHERE connection_id = ?",
        (survivor, old),
    )
    conn.execute(
        "UPDATE migration_attempts SET connection_id = ? WHERE connection_id = ?", (survivor, old)
    )


_KINDS_BEFORE = "CHECK (kind IN ('thread', 'conversation'))"
_KINDS_NOW = "CHECK (kind IN ('thread', 'conversation', 'completion', 'response'))"


def v10_more_kinds(conn: sqlite3.Connection) -> None:
    """Let items be stored chat completions and response chains too.

    ``response`` is admitted ahead of the kind itself (see :func:`_widen_kinds`).
    """
    _widen_kinds(conn, _KINDS_BEFORE, _KINDS_NOW)


def _widen_kinds(conn: sqlite3.Connection, before: str, after: str) -> None:
    """Replace the items table's kind constraint ``before`` by the wider ``after``.

    Widening a CHECK constraint changes no stored row, so the table's SQL is edited in place
    (SQLite's documented way for such changes: ``writable_schema``, then a new
    ``schema_version`` so every connection reads the schema again) instead of copying a
    table of millions of rows. A table that already has ``after`` is left as it is.
    """
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'items'"
    ).fetchone()
    if after in sql:
        return
    if before not in sql:
        raise sqlite3.DatabaseError(f"the items table has an unknown kind constraint: {sql}")
    (stamp,) = conn.execute("PRAGMA schema_version").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'items'",
            (sql.replace(before, after),),
        )
        conn.execute(f"PRAGMA schema_version = {int(stamp) + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


# Where discovery stopped on each list of each connection: the last ID listed (lists are
# read oldest first, so it stays a valid cursor as new items are made), how many it listed,
# and when it last reached the end. The next run resumes there, an interrupted one too.
V11 = """
CREATE TABLE discoveries (
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    endpoint TEXT NOT NULL,
    cursor TEXT,
    listed INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (connection_id, endpoint)
);
"""

# A response chain is tracked under its newest response: when a reply continues it, the
# item takes the new response's ID (the search index follows an ID change now), and every
# ID it was known by before stays here, so an older response still finds its chain and a
# deletion knows which responses other chains still stand on.
V12 = """
CREATE TABLE chain_links (
    response_id TEXT NOT NULL,
    item_pk INTEGER NOT NULL REFERENCES items (pk),
    at REAL NOT NULL,
    PRIMARY KEY (response_id, item_pk)
) WITHOUT ROWID;
CREATE INDEX chain_links_by_item ON chain_links (item_pk);

DROP TRIGGER items_fts_update;
CREATE TRIGGER items_fts_update AFTER UPDATE OF id, title, metadata, last_activity ON items
WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.metadata IS NOT new.metadata
    OR old.last_activity IS NOT new.last_activity BEGIN
    INSERT INTO items_fts (items_fts, rowid, id, title, meta) VALUES (
        'delete', old.last_activity * 536870912 + old.pk, old.id, old.title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(old.metadata)));
    INSERT INTO items_fts (rowid, id, title, meta) VALUES (
        new.last_activity * 536870912 + new.pk, new.id, new.title,
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.metadata)));
END;
"""


_KINDS_WITH_SESSIONS = (
    "CHECK (kind IN ('thread', 'conversation', 'completion', 'response', 'session'))"
)


def agents_sessions_kind(conn: sqlite3.Connection) -> None:
    """Let items be Agents SDK sessions (read from a local file), the CHECK widened in place.

    The same edit as :func:`v10_more_kinds`, from the constraint that one wrote.
    """
    _widen_kinds(conn, _KINDS_NOW, _KINDS_WITH_SESSIONS)


# Deletion that deletes (deep, verified, with receipts):
# - the responses known to have written into a conversation (the app's chat, the tracking
#   hook): deleting the conversation deletes them, since the API leaves them readable;
# - each server object a confirmed deletion covers, recorded before its request and after
#   (so a killed run resumes knowing each object's state), until its item's deletion ends;
# - a receipt line per object of every run, kept: kinds, IDs, connection and times, never
#   content.
V14 = """
CREATE TABLE item_responses (
    item_pk INTEGER NOT NULL REFERENCES items (pk),
    response_id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (item_pk, response_id)
) WITHOUT ROWID;

CREATE TABLE deletion_objects (
    item_pk INTEGER NOT NULL REFERENCES items (pk),
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN
        ('planned', 'requested', 'deleted', 'verified', 'still there', 'failed', 'kept')),
    detail TEXT NOT NULL DEFAULT '',
    requested_at REAL,
    verified_at REAL,
    PRIMARY KEY (item_pk, kind, object_id)
) WITHOUT ROWID;

CREATE TABLE receipts (
    pk INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    item_id TEXT NOT NULL,
    item_kind TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    base_url TEXT NOT NULL,
    organization TEXT NOT NULL,
    project TEXT NOT NULL,
    requested_at REAL,
    verified_at REAL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    kept_locally TEXT NOT NULL DEFAULT '',
    written_at REAL NOT NULL
);
CREATE INDEX receipts_by_time ON receipts (written_at, pk);
"""


Step = str | Callable[[sqlite3.Connection], None]
# UPGRADES[n] takes a registry from user_version n to n + 1 (a schema upgrade; "migration"
# here means only carrying a thread into a conversation): a script, or a function for
# what SQL alone cannot do. Append only; never edit.
UPGRADES: tuple[Step, ...] = (
    *(V1, V2, V3, V4, V5, V6, V7, V8),
    v9_connections_without_credentials,
    v10_more_kinds,
    V11,
    V12,
    agents_sessions_kind,
    V14,
)
LATEST = len(UPGRADES)


def version(conn: sqlite3.Connection) -> int:
    """The schema version of an open registry."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(current: int, path: str = "the registry") -> int:
    """``current``, unless it is newer than this Thread Browser knows (then refuse)."""
    if current > LATEST:
        from tui import __version__

        raise RegistryTooNew(
            f"The registry {path} was written by a newer Thread Browser: its schema is version "
            f"{current}, and this Thread Browser ({__version__}) knows versions up to {LATEST}. "
            "Upgrade thread-browser (for example `pip install --upgrade thread-browser`) to "
            "open it. It was left untouched: nothing is read from or written to it, and it is "
            "never migrated down."
        )
    return current


def check(conn: sqlite3.Connection, path: str = "the registry") -> int:
    """The version of the registry; refuse one from a newer Thread Browser."""
    return check_version(version(conn), path)


def upgrade(conn: sqlite3.Connection, path: str = "the registry") -> int:
    """Bring the registry to the latest version; refuse a newer one. Returns the version."""
    from tui.store.files import begin_immediate, rollback

    current = check(conn, path)
    for number in range(current, LATEST):
        begin_immediate(conn, path)
        try:
            if version(conn) == number:
                _apply(conn, UPGRADES[number])
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise
    return LATEST


def _apply(conn: sqlite3.Connection, step: Step) -> None:
    """Run one migration step inside the caller's transaction."""
    if callable(step):
        step(conn)
        return
    for statement in _statements(step):
        conn.execute(statement)


def _statements(script: str) -> list[str]:
    """Split a script into statements (triggers keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    return statements
