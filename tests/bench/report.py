"""One way to print a benchmark figure, and to hand it to ``tests.bench.summary``.

Each figure is printed as a row (ours, baseline, ratio, target, verdict). When the
environment names a file in ``TB_BENCH_FIGURES``, the row is also appended to it as a JSON
line, which is how the summary collects the figures of every benchmark it runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

FIGURES_ENV = "TB_BENCH_FIGURES"


@dataclass(frozen=True, slots=True)
class Figure:
    """A measured figure next to its baseline (same unit, same run)."""

    bench: str
    name: str
    ours: float
    base: float | None = None
    unit: str = "ms"
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        """``ours / base``, when there is a baseline."""
        return self.ours / self.base if self.base else None

    @property
    def verdict(self) -> str:
        """``met``, ``MISSED`` or nothing (no target)."""
        return "" if self.ok is None else ("met" if self.ok else "MISSED")


def number(value: float) -> str:
    """A figure with the digits that matter: two decimals under 10, one under 1,000."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def header(width: int = 46, target_width: int = 24) -> None:
    """The column titles."""
    columns = f"{'ours':>10}{'baseline':>12}{'ratio':>9}"
    print(f"{'figure':<{width}}{columns}  {'target':<{target_width}}verdict")


def line(
    bench: str,
    name: str,
    ours: float,
    base: float | None = None,
    target: str = "",
    ok: bool | None = None,
    *,
    unit: str = "ms",
    width: int = 46,
    target_width: int = 24,
) -> Figure:
    """Print one figure as a row, and record it for the summary."""
    figure = Figure(bench, name, ours, base, unit, target, ok)
    base_text = f"{number(base):>12}" if base is not None else f"{'-':>12}"
    ratio = f"{figure.ratio:>8.2f}x" if figure.ratio is not None else f"{'-':>9}"
    values = f"{number(ours):>10}{base_text}{ratio}"
    label = name if unit == "ms" else f"{name} ({unit})"
    print(f"{label:<{width}}{values}  {target:<{target_width}}{figure.verdict}")
    path = os.environ.get(FIGURES_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(figure)) + "\n")
    return figure
