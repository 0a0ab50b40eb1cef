"""``thread-browser list`` as a table: a header, whole kinds, and a word when it stops short."""

from __future__ import annotations


def test_a_table_has_a_header_whole_kinds_and_says_when_more_match(cli) -> None:
    run = cli(None)
    ids = [f"thread_{n:024d}" for n in range(7)] + ["conv_" + "a" * 48]
    assert run("import", "--no-verify", "-", input=" ".join(ids)).returncode == 0
    short = run("list", "--limit", "5")
    assert short.returncode == 0, short.stderr
    lines = short.stdout.splitlines()
    assert lines[0].split() == ["KIND", "ID", "MSGS", "AGE", "STATE", "TITLE"]
    assert len(lines) == 1 + 5
    assert "Showing the 5 most recently active; more match" in short.stderr
    whole = run("list", "--limit", "8")
    assert "more match" not in whole.stderr
    kinds = {line.split()[0] for line in whole.stdout.splitlines()[1:]}
    assert kinds == {"thread", "conversation"}
