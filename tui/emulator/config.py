"""The emulator's knobs."""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS = ("500", "429", "timeout", "drop")


@dataclass
class EmulatorConfig:
    """Behaviour of an emulator instance; every random choice is seeded.

    Attributes:
        latency_ms: added before every request is handled.
        token_delay_ms: pause between streamed tokens (and between run statuses).
        rate_limit: requests per second per API key; 0 means unlimited.
        error_rate: probability (0..1) that a request fails with a 500.
        throttle_rate: probability (0..1) that a request gets a 429 asking to wait
            ``throttle_after`` seconds (a storm, apart from the rate limit).
        throttle_after: the ``retry-after`` of those 429s, in seconds.
        fault_rate: probability (0..1) that a request gets one of ``fault_kinds``.
        fault_kinds: the injected faults to mix: ``500``; ``429`` asking to wait
            ``fault_retry_after`` seconds; ``timeout`` (the request stalls
            ``fault_stall`` seconds, and is dropped unprocessed if its client gave up);
            ``drop`` (an event stream is cut after ``fault_cut_after`` text deltas and
            its connection closed; a request that does not stream gets another kind).
        fault_retry_after: the ``retry-after`` of injected 429s, in seconds (the default
            is over the SDK's two-minute cap, so the SDK does not wait it out).
        fault_stall: how long a ``timeout`` fault holds its request, in seconds (longer
            than the client's read timeout).
        fault_cut_after: text deltas a ``drop`` fault lets through before the cut.
        sunset: answer every Assistants route like api.openai.com after 2026-08-26.
        no_stream: ignore ``stream=true`` and answer with plain JSON.
        seed: seed of IDs, replies and injected faults.
        api_keys: when set, only these keys are accepted (others get a 401).
        epoch: base time (Unix seconds) of the demo data; ``None`` means now.
        listing: the lists the real API lacks that this emulator offers, as other servers
            do: ``threads`` (Azure's agents), ``conversations`` and ``responses`` (OGX).
        own_inputs: a response's input items are only those its own request sent, as
            some servers keep them (the real API's also hold the context it continued).
        hollow_deletes: every DELETE answers ``deleted: true`` and deletes nothing, as a
            server that only hides what it was asked to delete (a deletion must verify).

    """

    latency_ms: float = 0.0
    token_delay_ms: float = 20.0
    rate_limit: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    throttle_after: float = 1.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    fault_retry_after: float = 300.0
    fault_stall: float = 35.0
    fault_cut_after: int = 3
    sunset: bool = False
    no_stream: bool = False
    seed: int = 0
    api_keys: frozenset[str] | None = None
    epoch: float | None = None
    listing: frozenset[str] = frozenset()
    own_inputs: bool = False
    hollow_deletes: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0 or not 0.0 <= self.throttle_rate <= 1.0:
            raise ValueError("error_rate and throttle_rate must be between 0 and 1")
        if self.throttle_after < 0:
            raise ValueError("throttle_after cannot be negative")
        self._check_faults()
        unlisted = sorted(set(self.listing) - {"threads", "conversations", "responses"})
        if unlisted:
            raise ValueError(
                f"unknown lists {unlisted}: choose from threads, conversations, responses"
            )
        if self.rate_limit < 0 or self.latency_ms < 0 or self.token_delay_ms < 0:
            raise ValueError("latency, token delay and rate limit cannot be negative")

    def _check_faults(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = sorted(set(self.fault_kinds) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}: choose from {list(FAULT_KINDS)}")
        if min(self.fault_retry_after, self.fault_stall, self.fault_cut_after) < 0:
            raise ValueError("fault timings and fault_cut_after cannot be negative")

    @property
    def token_delay(self) -> float:
        """The pause between streamed tokens, in seconds."""
        return self.token_delay_ms / 1000.0
