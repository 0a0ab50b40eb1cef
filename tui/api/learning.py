"""What an adapter learns of its server while it talks to it, for the registry to keep.

Adapters note what they meet (a whole API missing, a stream answered as plain JSON, run
steps refused) in their ``learned`` map; :func:`tui.ops.capabilities.remember` records it
per connection, where Details and ``doctor`` show it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tui.api.errors import ApiError, ApiGone

Learned = dict[str, tuple[bool, str]]
"""Capability name -> (offered, how we know)."""

STREAMING = "streaming"
RUN_STEPS = "run steps"
PLAIN_REPLY = "it answered a request to stream with one plain reply (polled instead)"


@contextmanager
def family(learned: Learned, name: str) -> Iterator[None]:
    """Inside: a request of API family ``name``; a whole family missing is noted, else offered."""
    try:
        yield
    except ApiGone as exc:  # the sunset, or a generic 404 on the family's every route
        learned[name] = (False, str(exc))
        raise
    else:
        learned[name] = (True, "")


@contextmanager
def feature(
    learned: Learned, name: str, refused: type[ApiError] | tuple[type[ApiError], ...]
) -> Iterator[None]:
    """Inside: a request that uses ``name``; a ``refused`` error says the server lacks it."""
    try:
        yield
    except refused as exc:
        learned[name] = (False, str(exc))
        raise
    else:
        learned[name] = (True, "")
