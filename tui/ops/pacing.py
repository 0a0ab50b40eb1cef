"""An adaptive request pace: as fast as the server allows, and never faster for long.

The server's limit is learnt, not configured: requests go out freely until the first 429,
then at the rate the server was actually serving (successes in the last second), nudged
up after each success and cut back on each new 429. A 429's ``retry-after`` pauses every
request until it has passed, however long it is (the SDK gives up on waits over a minute;
the pacer never does).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

WINDOW = 1.0  # seconds of successes the served rate is measured over
CUT = 0.95  # a new 429 sets the pace to this share of the served rate
PROBE = 4.0  # requests/s the pace rises by per second of successes (additive increase)
MIN_RATE = 0.5  # requests/s: the slowest pace a run of 429s can push it to
DEFAULT_WAIT = 1.0  # seconds to pause on a 429 that does not say how long


class Pacer:
    """Spaces requests out; ``acquire`` before a request, then report how it went."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.rate: float | None = None  # requests/s; None until the server first says 429
        self.paused_until = 0.0
        self.limited_count = 0
        self._next_slot = 0.0
        self._cut_at = float("-inf")
        self._served: deque[float] = deque()

    async def acquire(self) -> float:
        """Wait for this request's turn; returns when it may be sent (the send time)."""
        while True:
            now = self._clock()
            if self.paused_until > now:
                await self._sleep(self.paused_until - now)
                continue
            if self.rate is None:
                return now
            if self._next_slot <= now:
                interval = 1.0 / self.rate
                self._next_slot = max(self._next_slot, now - interval) + interval
                return now
            await self._sleep(self._next_slot - now)

    def succeeded(self, sent_at: float) -> None:
        """A request sent at ``sent_at`` was served."""
        now = self._clock()
        self._served.append(now)
        while self._served and self._served[0] < now - WINDOW:
            self._served.popleft()
        if self.rate is not None:
            self.rate += PROBE / self.rate

    def limited(self, sent_at: float, retry_after: float | None) -> None:
        """A request sent at ``sent_at`` got a 429 that asked to wait ``retry_after`` s."""
        now = self._clock()
        self.limited_count += 1
        self.paused_until = max(self.paused_until, now + (retry_after or DEFAULT_WAIT))
        if sent_at < self._cut_at:
            return  # sent before the last cut: that cut already accounts for it
        self._cut_at = now
        served = self.served_rate()
        base = served if served > 0 else (self.rate or MIN_RATE)
        self.rate = max(MIN_RATE, CUT * base)

    def served_rate(self) -> float:
        """Successes per second over the last second."""
        now = self._clock()
        while self._served and self._served[0] < now - WINDOW:
            self._served.popleft()
        return len(self._served) / WINDOW

    def waiting(self) -> float:
        """Seconds left of a pause a 429 asked for (0 when none)."""
        return max(0.0, self.paused_until - self._clock())
