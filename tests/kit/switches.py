"""The kit's switches: one per way a server someone else wrote was seen to misbehave."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

RETRY_AFTER = "999999"  # seconds a 429 on DELETE asks to wait (eleven days)
HUGE_EVENT = 10 * 1024 * 1024  # characters of text in the one huge stream event
HUGE_PARTS = 1_000_000  # content parts of the one huge message
MATRIX_PARTS = 20_000  # the matrix's huge message: many parts, parsed in well under a second
# What a hostile server writes into IDs, titles and error messages: a window title (OSC 0
# and 2), a clipboard write (OSC 52), a DCS query, a bidi override, a C1 CSI and a bell.
INJECTION = (
    "\x1b]0;kit-title\x07\x1b]2;kit-title\x1b\\\x1b]52;c;a2l0\x07\x1bP+q544e\x1b\\"
    "\u202ekit-bidi\u202c\x9b2J\x07"
)


@dataclass
class Faults:
    """Every switch off is a well-behaved server; each switch turns on one fault.

    Paging (list routes of messages and items):
        ``cursor_ignored``  ``after`` ignored, page capped at ``limit``, ``has_more`` false
                            (llama-stack 0.7's conversation items).
        ``paging_ignored``  ``order``, ``limit`` and ``after`` ignored: every entry, oldest
                            first, ``has_more`` true (LiteLLM's thread messages).
        ``has_more_false``  an honest page that says ``has_more: false`` even when full.
        ``has_more_true``   an honest page that says ``has_more: true``, even when empty.
        ``same_last_id``    the first page again whatever the cursor, ``has_more`` true.
    Bodies:
        ``html_502``        every route answers 502 with an HTML page.
        ``truncated_json``  every JSON body is cut in half (status 200).
        ``wrong_shape``     one message's ``content`` is a number; items' metadata a list.
        ``string_content``  message content is a plain string, not a list of parts.
        ``iso_times``       every timestamp is an ISO-8601 string.
        ``ms_times``        every timestamp is in milliseconds.
        ``tool_choice_null`` runs and responses say ``tool_choice: null``.
        ``dash_ids``        message, run and response IDs hold ``-`` (llama-stack's).
        ``huge_parts``      the newest message has this many content parts (0: off).
    Streams:
        ``sse_no_event``    no ``event:`` lines; the name only inside ``data`` (if at all).
        ``sse_endless``     text deltas every 20 ms and never a final event.
        ``huge_event``      one text delta of 10 MB.
        ``unknown_events``  an event of a kind no client knows before every delta.
    Errors and routes:
        ``retry_after``     DELETE answers 429 with ``retry-after: 999999``.
        ``redirect_to``     every route answers 307 to this base URL (another kit).
        ``not_allowed``     runs routes, DELETE and metadata updates answer 405.
        ``detail_errors``   every route answers 400 ``{"detail": ...}`` (FastAPI's shape).
        ``metadata_dropped`` create and update accept metadata and keep none of it.
    Injection (``INJECTION`` is what a hostile server writes):
        ``hostile_ids``     threads, conversations and messages are answered with IDs that
                            hold path characters, a newline and ``INJECTION``.
        ``other_id``        a retrieve answers with another (well-formed) ID of its kind.
        ``hostile_text``    titles, metadata, roles, statuses and error messages hold
                            ``INJECTION``; DELETE answers 409 saying it.
    """

    cursor_ignored: bool = False
    paging_ignored: bool = False
    has_more_false: bool = False
    has_more_true: bool = False
    same_last_id: bool = False
    html_502: bool = False
    truncated_json: bool = False
    wrong_shape: bool = False
    string_content: bool = False
    iso_times: bool = False
    ms_times: bool = False
    tool_choice_null: bool = False
    dash_ids: bool = False
    huge_parts: int = 0
    sse_no_event: bool = False
    sse_endless: bool = False
    huge_event: bool = False
    unknown_events: bool = False
    retry_after: bool = False
    redirect_to: str | None = None
    not_allowed: bool = False
    detail_errors: bool = False
    metadata_dropped: bool = False
    hostile_ids: bool = False
    other_id: bool = False
    hostile_text: bool = False

    def set(self, name: str, value: object = True) -> None:
        """Turn one switch on (or set its value), at any time."""
        if name not in FAULT_NAMES:
            raise KeyError(f"no fault called {name!r}")
        setattr(self, name, value)

    def clear(self) -> None:
        """Every switch off."""
        for name, value in vars(Faults()).items():
            setattr(self, name, value)

    def on(self) -> list[str]:
        """The names of the switches that are on."""
        return [f.name for f in fields(self) if getattr(self, f.name) != f.default]

    def copy(self) -> Faults:
        """An independent copy."""
        return replace(self)


FAULT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Faults))
