"""``thread-browser receipts``: what each deletion asked of a server, and what it verified."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from tui.commands.context import Options, common, run
from tui.durations import parse_age
from tui.ops.receipts import Receipt, receipts_since
from tui.text import clean, json_text


@click.command("receipts")
@click.option("--since", metavar="AGE|DATE", help="Only runs since an age (7d, 2w) or a date.")
@click.option("--json", "as_json", is_flag=True, help="Print the receipts as one JSON object.")
@common
def receipts(options: Options, since: str | None, as_json: bool) -> None:
    """Show the receipts of deletions: each object, when asked, when verified gone.

    A receipt names kinds, IDs, connections and times, never content; it stays after the
    content it speaks of is erased.
    """
    moment = _since(since) if since else None
    found = run(_read(options, moment))
    if as_json:
        click.echo(json_text({"receipts": [r.as_json() for r in found]}))
        return
    if not found:
        click.echo("No receipts" + (f" since {moment:%Y-%m-%d %H:%M} UTC." if moment else "."))
        return
    job = item = None
    for receipt in found:
        if receipt.job != job:
            job, item = receipt.job, None
            click.echo(_heading(receipt))
        if receipt.item_id != item:
            item = receipt.item_id
            kept = clean(receipt.kept_locally)
            click.echo(f"  {item} ({receipt.item_kind.value}) · kept here: {kept}")
        click.echo(_line(receipt))


async def _read(options: Options, moment: datetime | None) -> list[Receipt]:
    async with await options.registry() as registry:
        return await receipts_since(registry, moment)


def _since(text: str) -> datetime:
    """An age before now (``7d``) or a date (``2026-12-01``, ISO 8601), in UTC."""
    try:
        return datetime.now(UTC) - parse_age(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither an age (7d, 2w, 12h) nor a date (2026-12-01).",
            param_hint="--since",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _heading(receipt: Receipt) -> str:
    when = _when(receipt.requested_at) or "not sent"
    return f"deletion {receipt.job or '(no job)'} · {when} · {receipt.connection.label}"


def _line(receipt: Receipt) -> str:
    verified = _when(receipt.verified_at)
    outcome = receipt.outcome.value + (f" {verified}" if verified else "")
    detail = f" · {clean(receipt.detail)[:120]}" if receipt.detail else ""
    return f"    {receipt.object_kind.value} {receipt.object_id}: {outcome}{detail}"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


__all__ = ["receipts"]
