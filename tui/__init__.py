"""Thread Browser: browse, search, continue and clean up OpenAI-style threads and conversations."""

__version__ = "0.1.0"
