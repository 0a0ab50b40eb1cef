"""The registry (SQLite): tracked items, message archive, journal, search."""

from tui.store.errors import (
    RegistryBusy,
    RegistryCorrupt,
    RegistryError,
    RegistryFull,
    RegistryReadOnly,
    RegistryTooNew,
)
from tui.store.recorder import Recorder
from tui.store.registry import Registry
from tui.store.search import Cursor, Query, ResultPage

__all__ = [
    "Cursor",
    "Query",
    "Recorder",
    "Registry",
    "RegistryBusy",
    "RegistryCorrupt",
    "RegistryError",
    "RegistryFull",
    "RegistryReadOnly",
    "RegistryTooNew",
    "ResultPage",
]
