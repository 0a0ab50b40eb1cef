"""An OpenAI-compatible server of Assistants v2 threads and Responses conversations.

Used by the tests, the demo and the benchmarks. ``Emulator`` holds the state and
builds the ASGI app; ``EmulatorServer`` serves it with uvicorn on loopback.
"""

from tui.emulator.app import Emulator
from tui.emulator.config import EmulatorConfig
from tui.emulator.server import EmulatorServer

__all__ = ["Emulator", "EmulatorConfig", "EmulatorServer"]
