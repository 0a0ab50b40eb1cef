"""The emulator's knobs."""

from __future__ import annotations

from dataclasses import dataclass


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
        sunset: answer every Assistants route like api.openai.com after 2026-08-26.
        no_stream: ignore ``stream=true`` and answer with plain JSON.
        seed: seed of IDs, replies and injected faults.
        api_keys: when set, only these keys are accepted (others get a 401).
        epoch: base time (Unix seconds) of the demo data; ``None`` means now.

    """

    latency_ms: float = 0.0
    token_delay_ms: float = 20.0
    rate_limit: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    throttle_after: float = 1.0
    sunset: bool = False
    no_stream: bool = False
    seed: int = 0
    api_keys: frozenset[str] | None = None
    epoch: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0 or not 0.0 <= self.throttle_rate <= 1.0:
            raise ValueError("error_rate and throttle_rate must be between 0 and 1")
        if self.throttle_after < 0:
            raise ValueError("throttle_after cannot be negative")
        if self.rate_limit < 0 or self.latency_ms < 0 or self.token_delay_ms < 0:
            raise ValueError("latency, token delay and rate limit cannot be negative")

    @property
    def token_delay(self) -> float:
        """The pause between streamed tokens, in seconds."""
        return self.token_delay_ms / 1000.0
