"""Run steps of runs that are made already finished (the demo's seeded history).

A finished run has the steps it took, as a live one does: a ``message_creation`` step for
the message it wrote. Their IDs follow from the run's ID, not from the emulator's ID
generator, so adding them shifts no other seeded ID.
"""

from __future__ import annotations

import functools
import random
import string
from typing import Any

from tui.emulator import objects

Obj = dict[str, Any]
_BASE62 = string.ascii_letters + string.digits


@functools.lru_cache(maxsize=65_536)
def step_id(run_id: str, number: int) -> str:
    """The ID of step ``number`` of run ``run_id`` (24 base-62 characters, like the API's).

    Kept once made: every demo seeds the same runs, and seeding a generator from a string
    is the slow part.
    """
    rng = random.Random(f"{run_id}|step|{number}")
    return "step_" + "".join(rng.choices(_BASE62, k=24))


def message_step(run: Obj, message_id: str, stamp: int, number: int = 0) -> Obj:
    """The completed ``message_creation`` step of a finished run that wrote ``message_id``."""
    details = {"type": "message_creation", "message_creation": {"message_id": message_id}}
    step = objects.step(step_id(run["id"], number), run, "message_creation", details, stamp)
    step.update(status="completed", completed_at=stamp, usage=run.get("usage"))
    return step
