"""Every benchmark, one table: ``python -m tests.bench.summary [--quick] [--readme]``.

Runs each benchmark in its own process (as its README command would), collects the
figures they print through :mod:`tests.bench.report`, and prints them as one Markdown
table: ours, the baseline measured in the same run, the ratio, the target and the
verdict. ``--readme`` also writes the table into README.md between its benchmark markers.
``--quick`` uses smaller sizes (a smoke run; the targets are set for the full sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.report import FIGURES_ENV, Figure, number

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# (module, arguments at full size, arguments for --quick)
BENCHES: tuple[tuple[str, list[str], list[str]], ...] = (
    ("registry", ["--items", "1000000"], ["--items", "20000"]),
    ("app", ["--items", "1000000"], ["--items", "20000"]),
    ("chat", [], ["--deltas", "400", "--runs", "1"]),
    ("bulk", ["--items", "10000"], ["--items", "1000", "--naive", "100", "--archived", "100"]),
    ("discover", ["--items", "100000"], ["--items", "5000"]),
    ("chain", ["--responses", "2000"], ["--responses", "200"]),
    ("from_db", ["--rows", "1000000"], ["--rows", "20000", "--small", "2000"]),
    ("deep_delete", ["--conversations", "1000"], ["--conversations", "40", "--kills", "1"]),
    ("tracking", ["--calls", "300"], ["--calls", "50"]),
    (
        "startup",
        ["--items", "1000000", "--messages", "1000000"],
        ["--items", "20000", "--messages", "20000"],
    ),
    ("terminal", ["--items", "1000000"], ["--items", "20000"]),
)


def run(module: str, args: list[str], figures: Path) -> float:
    """Run one benchmark, its output passed through; seconds it took."""
    print(f"\n$ python -m tests.bench.{module} {' '.join(args)}", flush=True)
    env = {**os.environ, FIGURES_ENV: str(figures)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"tests.bench.{module}", *args], env=env)
    if done.returncode:
        print(f"(tests.bench.{module} exited with {done.returncode})")
    return time.perf_counter() - start


def table(figures: list[Figure]) -> str:
    """The figures as one Markdown table."""
    rows = [
        "| benchmark | figure | ours | baseline | ratio | target | verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for f in figures:
        base = f"{number(f.base)} {f.unit}" if f.base is not None else "–"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "–"
        name = f.name.strip().replace("|", "\\|")
        rows.append(
            f"| {f.bench} | {name} | {number(f.ours)} {f.unit} | {base} | {ratio} "
            f"| {f.target} | {f.verdict} |"
        )
    return "\n".join(rows)


def write_readme(text: str) -> None:
    """Put ``text`` between the README's benchmark markers."""
    readme = README.read_text(encoding="utf-8")
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise SystemExit(f"README.md has no {START} … {END} markers")
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(quick: bool, readme: bool, only: list[str]) -> None:
    """Run the benchmarks, print the table (and write it into the README)."""
    figures_file = Path(tempfile.mkdtemp(prefix="tb-bench-summary-")) / "figures.jsonl"
    took = {}
    for module, full, small in BENCHES:
        if not only or module in only:
            took[module] = run(module, small if quick else full, figures_file)
    lines = figures_file.read_text().splitlines() if figures_file.exists() else []
    figures = [Figure(**json.loads(line)) for line in lines]
    when = time.strftime("%Y-%m-%d")
    sizes = "quick sizes" if quick else "full sizes"
    timing = ", ".join(f"{m} {s:.0f} s" for m, s in took.items())
    text = f"{table(figures)}\n\n_{when}, {sizes}, on {os.cpu_count()} CPUs ({timing})._"
    print("\n" + text)
    if readme:
        write_readme(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a smoke run")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--only", nargs="*", default=[], help="run only these benchmarks")
    args = parser.parse_args()
    main(args.quick, args.readme, args.only)
