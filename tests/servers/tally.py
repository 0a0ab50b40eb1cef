"""The table "operation x server: outcome, requests", filled as the tests run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.servers.counting import Counter


@dataclass
class Row:
    """One operation run against one server."""

    server: str
    operation: str
    outcome: str = "failed"
    requests: int = 0


@dataclass
class Tally:
    """Every row recorded in this session, in order."""

    rows: list[Row] = field(default_factory=list)

    @contextmanager
    def operation(self, server: str, name: str, counter: Counter) -> Iterator[Row]:
        """Count the requests ``counter`` sees while the block runs; record its outcome.

        The block sets ``row.outcome``; an exception leaves it "failed: <error>".
        """
        row = Row(server, name, outcome="")
        before = counter.count
        try:
            yield row
        except BaseException as exc:
            row.outcome = row.outcome or f"failed: {type(exc).__name__}"
            raise
        finally:
            row.outcome = row.outcome or "ok"
            row.requests = counter.count - before
            self.rows.append(row)
            print(f"\n[{row.server}] {row.operation}: {row.outcome} ({row.requests} requests)")

    def table(self) -> str:
        """The rows as a Markdown table."""
        lines = ["| operation | server | outcome | requests |", "|---|---|---|---|"]
        for row in self.rows:
            outcome = row.outcome.replace("|", "/").replace("\n", " ")
            lines.append(f"| {row.operation} | {row.server} | {outcome} | {row.requests} |")
        return "\n".join(lines)


TALLY = Tally()
