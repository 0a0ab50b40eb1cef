"""Thread Browser: browse, search, continue and clean up OpenAI-style threads and conversations.

``from tui import track`` gives the one-line hook that records what your own code creates.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "track"]


def __getattr__(name: str) -> Any:
    if name == "track":
        from tui.tracking import track

        return track
    raise AttributeError(f"module 'tui' has no attribute {name!r}")
