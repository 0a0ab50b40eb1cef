"""Boundaries the linters cannot see: one reader of the environment, explained ignores.

Every ``THREAD_BROWSER_*`` variable is read in ``tui/config.py`` (``Environment``); other
modules take its fields. Every ``type: ignore`` names its error code and says why.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui import config

TUI = Path(__file__).resolve().parents[1] / "tui"
READER = TUI / "config.py"
VARIABLE = re.compile(r"THREAD_BROWSER_[A-Z0-9_]+")
# Names tui.config gives the variables (DB_ENV...), however a module reaches them.
DECLARED = {name for name, value in vars(config).items() if isinstance(value, str)}
ENV_NAMES = {name for name in DECLARED if VARIABLE.fullmatch(getattr(config, name))}
READS = {"get", "getenv", "pop", "setdefault"}
EXPLAINED_IGNORE = re.compile(r"type:\s*ignore\[[\w\-, ]+\]\s*#\s*\w+")


def modules() -> Iterator[Path]:
    """Every Python file of the package."""
    yield from sorted(TUI.rglob("*.py"))


def names_a_variable(node: ast.AST, bound: set[str]) -> bool:
    """True when ``node`` is a ``THREAD_BROWSER_*`` name: literal, or a constant naming one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return VARIABLE.fullmatch(node.value) is not None
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and str(first.value).startswith("THREAD_BROWSER_")
    if isinstance(node, ast.Name):
        return node.id in bound
    return isinstance(node, ast.Attribute) and node.attr in ENV_NAMES


def bound_names(tree: ast.Module) -> set[str]:
    """Names a module binds to a variable's name: its own constants and imported ones."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and names_a_variable(node.value, set()):
            bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom):
            bound |= {a.asname or a.name for a in node.names if a.name in ENV_NAMES}
    return bound


def reads(source: str) -> list[int]:
    """Lines where ``source`` reads a ``THREAD_BROWSER_*`` variable (writing is no read)."""
    tree = ast.parse(source)
    bound = bound_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in READS and names_a_variable(node.args[0], bound):
                found.append(node.lineno)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if names_a_variable(node.slice, bound):
                found.append(node.lineno)
        elif isinstance(node, ast.Compare) and names_a_variable(node.left, bound):
            found += [node.lineno for op in node.ops[:1] if isinstance(op, ast.In | ast.NotIn)]
    return found


@pytest.mark.parametrize(
    "source",
    [
        'import os\nos.environ.get("THREAD_BROWSER_DB")',
        'import os\nX = "THREAD_BROWSER_DEBUG"\nos.environ[X]',
        "import os\nfrom tui.config import TIMEOUT_ENV as T\nos.getenv(T)",
        "from tui import config\ndef f(env):\n    return env.get(config.DB_ENV, '')",
        'import os\nif "THREAD_BROWSER_DEBUG" in os.environ: pass',
        'import os\nos.environ.get(f"THREAD_BROWSER_{name}")',
    ],
)
def test_the_scan_finds_a_read(source: str) -> None:
    """The scan below sees each way a module could read a variable."""
    assert reads(source)


def test_a_write_or_a_message_is_no_read() -> None:
    """Demo mode sets its key's variable; messages name variables to the user."""
    source = (
        "import os\nfrom tui.config import DEMO_KEY_ENV\nos.environ[DEMO_KEY_ENV] = 'k'\n"
        "print('Point --db (or THREAD_BROWSER_DB) at a file.')"
    )
    assert reads(source) == []


def test_only_the_config_module_reads_thread_browser_variables() -> None:
    """Every ``THREAD_BROWSER_*`` read is in tui/config.py; the others use ``Environment``."""
    found = {
        f"{path.relative_to(TUI.parent)}:{line}"
        for path in modules()
        if path != READER
        for line in reads(path.read_text(encoding="utf-8"))
    }
    assert found == set(), f"read through tui.config.environment() instead: {sorted(found)}"


def test_every_variable_the_code_names_is_declared_in_config() -> None:
    """A variable named in a message, a help text or a docstring is one config reads."""
    known = {getattr(config, name) for name in ENV_NAMES}
    named = {
        variable
        for path in modules()
        for variable in VARIABLE.findall(path.read_text(encoding="utf-8"))
    }
    assert named - known == set()
    assert {field.upper() for field in config.Environment.__dataclass_fields__} == {
        v.removeprefix("THREAD_BROWSER_") for v in known
    }


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, config.Environment()),
        (
            {
                "THREAD_BROWSER_DB": " ~/r.db ",
                "THREAD_BROWSER_CONFIG": "/c.toml",
                "THREAD_BROWSER_MAX_PAGES": "40",
                "THREAD_BROWSER_DEBUG": "1",
                "THREAD_BROWSER_DEMO_KEY": "demo",
                "THREAD_BROWSER_TIMEOUT": "2.5",
            },
            config.Environment(Path("~/r.db").expanduser(), Path("/c.toml"), 40, True, "demo", 2.5),
        ),
        (
            {
                "THREAD_BROWSER_DB": "  ",
                "THREAD_BROWSER_MAX_PAGES": "²",
                "THREAD_BROWSER_DEBUG": "0",
                "THREAD_BROWSER_TIMEOUT": "nan",
            },
            config.Environment(),
        ),
        ({"THREAD_BROWSER_MAX_PAGES": "0", "THREAD_BROWSER_TIMEOUT": "-1"}, config.Environment()),
    ],
)
def test_environment_reads_leniently(environ: dict[str, str], expected: object) -> None:
    """A value that cannot be used counts as unset, never as an error at start."""
    assert config.environment(environ) == expected


def ignores(path: Path) -> Iterator[tuple[int, str]]:
    """Each ``type: ignore`` comment of a file, with its line."""
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and re.search(r"type:\s*ignore", token.string):
            yield token.start[0], token.string


def test_every_type_ignore_names_its_code_and_says_why() -> None:
    """``# type: ignore[code]  # why``: no bare or unexplained ignore in the package."""
    unexplained = [
        f"{path.relative_to(TUI.parent)}:{line}: {comment}"
        for path in modules()
        for line, comment in ignores(path)
        if not EXPLAINED_IGNORE.search(comment)
    ]
    assert unexplained == [], "\n".join(unexplained)
