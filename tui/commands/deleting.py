"""``thread-browser delete`` and ``prune``: confirmed, archived-first, resumable deletion."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from tui.api.errors import NotFound
from tui.commands.context import ConnectionApis, Options, common, locate_item, run
from tui.durations import parse_age
from tui.ids import parse_item_id
from tui.model import ItemState, Kind, ObjectState, Tracked
from tui.ops.deleting import BulkDelete, Outcome, Progress, Result
from tui.ops.plan import DeletionPlan, Policy, Responses, make_plan, responses_of
from tui.ops.resume import interrupted, put_back
from tui.store import Query
from tui.text import json_text

SOURCE = "cli"
F = TypeVar("F", bound=Any)
REFUSE = (
    "Refusing to delete without confirmation: standard input is not a terminal. "
    "Check the list above, then add --yes."
)


def _how_deep(command: F) -> F:
    """The options that say how deep a deletion goes."""
    command = click.option(
        "--with-files",
        is_flag=True,
        help="Also delete a thread's files and vector stores that nothing else uses.",
    )(command)
    return click.option(
        "--container-only",
        is_flag=True,
        help="Delete only the items themselves, not a conversation's items and responses.",
    )(command)


@click.command("delete")
@click.argument("ids", nargs=-1, metavar="ID...")
@click.option("--yes", is_flag=True, help="Do not ask (required when input is not a terminal).")
@click.option("--no-archive", is_flag=True, help="Do not fetch and archive each history first.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@click.option(
    "--allow-incomplete-archive",
    "allow_incomplete",
    is_flag=True,
    help="Delete items even when their archive cannot be verified complete (may lose messages).",
)
@_how_deep
@click.option("--resume", is_flag=True, help="Finish the deletions an interrupted run left.")
@click.option(
    "--put-back", is_flag=True, help="Give up interrupted deletions: items return as they were."
)
@common
def delete(
    options: Options,
    ids: tuple[str, ...],
    yes: bool,
    no_archive: bool,
    as_json: bool,
    allow_incomplete: bool,
    container_only: bool,
    with_files: bool,
    resume: bool,
    put_back: bool,
) -> None:
    """Delete tracked items on their servers, deep and verified (archived first, after asking).

    Exit status: 0 when every item is deleted (a 404 counts: it is gone), 1 when some
    were not, 2 when nothing was done for want of confirmation.
    """
    if sum((bool(ids), resume, put_back)) != 1:
        raise click.UsageError("Give IDs to delete, or --resume, or --put-back.")
    kinds = [_parse(i) for i in ids]
    if put_back:
        run(_put_back(options))
        return
    items, notes, unknown = run(_resolve(options, kinds, resume))
    for line in notes + unknown:
        click.echo(line, err=True)
    policy = _policy(no_archive, allow_incomplete, container_only, with_files)
    _confirm_and_run(options, items, policy, yes=yes, as_json=as_json, resumed=resume)
    if unknown:
        sys.exit(1)


@click.command("prune")
@click.option("--older-than", "older_than", required=True, help="Age of last activity: 30d, 2w…")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="Only items with this metadata.")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=None)
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask (required when input is not a terminal).")
@click.option("--no-archive", is_flag=True, help="Do not fetch and archive each history first.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@click.option(
    "--allow-incomplete-archive",
    "allow_incomplete",
    is_flag=True,
    help="Delete items even when their archive cannot be verified complete (may lose messages).",
)
@_how_deep
@common
def prune(
    options: Options,
    older_than: str,
    meta: tuple[str, ...],
    kind: str | None,
    dry_run: bool,
    yes: bool,
    no_archive: bool,
    as_json: bool,
    allow_incomplete: bool,
    container_only: bool,
    with_files: bool,
) -> None:
    """Delete tracked items whose last activity is older than an age (after asking)."""
    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    query = Query(
        kind=Kind(kind) if kind else None,
        states=(ItemState.ACTIVE, ItemState.MISSING),
        meta=_pairs(meta),
        older_than=datetime.now(UTC) - age,
        connection=options.chosen_profile().connection if options.profile else None,
    )
    items, untrusted = run(_matching(options, query))
    policy = _policy(no_archive, allow_incomplete, container_only, with_files)
    if dry_run:
        counts = run(_responses(options, items))
        apis = ConnectionApis(options.settings())
        plan = make_plan(items, apis, policy, untrusted, counts)
        _show(plan, as_json, dry_run=True)
        return
    _confirm_and_run(options, items, policy, yes=yes, as_json=as_json, untrusted=untrusted)


def _policy(no_archive: bool, allow: bool, container_only: bool, files: bool) -> Policy:
    return Policy(
        archive=not no_archive, allow_incomplete=allow, deep=not container_only, files=files
    )


async def _responses(options: Options, items: Sequence[Tracked]) -> dict[int, Responses]:
    async with await options.registry() as registry:
        return await responses_of(registry, items)


def _parse(text: str) -> tuple[Kind, str]:
    try:
        return parse_item_id(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None


def _pairs(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE.", param_hint="--meta")
        pairs.append((key, val))
    return tuple(pairs)


async def _resolve(
    options: Options, kinds: list[tuple[Kind, str]], resume: bool
) -> tuple[list[Tracked], list[str], list[str]]:
    """The items for the IDs (or the interrupted set), notes, and IDs that were not found."""
    async with await options.registry() as registry:
        pending = await interrupted(registry)
        if resume:
            if not pending:
                return [], ["Nothing to resume: no deletion was interrupted."], []
            return [p.item for p in pending], [], []
        notes: list[str] = []
        unknown: list[str] = []
        if pending:
            notes.append(
                f"Note: {len(pending):,} deletions were interrupted earlier; finish them with "
                "`thread-browser delete --resume` (or undo with --put-back)."
            )
        items: list[Tracked] = []
        for kind, item_id in dict.fromkeys(kinds):
            try:
                item = await locate_item(options, registry, kind, item_id, source=SOURCE)
            except NotFound as exc:
                unknown.append(f"{item_id}: {exc} Not tracked; nothing deleted.")
                continue
            if item.state is ItemState.DELETED:
                notes.append(f"{item_id}: already deleted (its archive stays readable).")
                continue
            items.append(item)
        return items, notes, unknown


async def _matching(
    options: Options, query: Query
) -> tuple[list[Tracked], list[tuple[Tracked, datetime]]]:
    """The items of ``query``, and those whose age the registry gave (with its time)."""
    async with await options.registry() as registry:
        items: list[Tracked] = []
        cursor = None
        while True:
            page = await registry.search.page(query, after=cursor, limit=500)
            items += page.items
            cursor = page.next
            if cursor is None:
                return items, await registry.search.untrusted_ages(query)


async def _put_back(options: Options) -> None:
    async with await options.registry() as registry:
        count = await put_back(registry, await interrupted(registry), source=SOURCE)
        click.echo(f"{count:,} interrupted deletions put back.", err=True)


def _confirm_and_run(
    options: Options,
    items: list[Tracked],
    policy: Policy,
    *,
    yes: bool,
    as_json: bool,
    resumed: bool = False,
    untrusted: Sequence[tuple[Tracked, datetime]] = (),
) -> None:
    apis = ConnectionApis(options.settings(), max_retries=0)
    counts = run(_responses(options, items)) if items else {}
    plan = make_plan(items, apis, policy, untrusted, counts)
    if not plan.items and not plan.skipped:
        for line in plan.ages():
            click.echo(line, err=True)
        click.echo("Nothing to delete.", err=True)
        if as_json:
            click.echo(json_text(_summary(Progress(0))))
        return
    for line in plan.lines():
        click.echo(line, err=True)
    if plan.items and not yes:
        if not sys.stdin.isatty():
            raise click.UsageError(REFUSE)
        answer = click.prompt(plan.question(), default="", show_default=False, err=True)
        if not plan.accepts(answer):
            click.echo("Nothing deleted.", err=True)
            sys.exit(2)
    progress = run(_delete(options, apis, items, policy, resumed=resumed))
    _report(progress, as_json)
    if any(o.result not in (Result.DELETED, Result.GONE) for o in progress.outcomes):
        sys.exit(1)


async def _delete(
    options: Options, apis: ConnectionApis, items: list[Tracked], policy: Policy, *, resumed: bool
) -> Progress:
    async with await options.registry() as registry:
        engine = BulkDelete(
            registry,
            apis,
            archive=policy.archive,
            allow_incomplete=policy.allow_incomplete,
            deep=policy.deep,
            files=policy.files,
            source=SOURCE,
        )
        loop = asyncio.get_running_loop()

        def stop() -> None:
            click.echo(
                "\nStopping: no new requests; those in flight finish (Ctrl+C again quits "
                "at once; the next run can resume).",
                err=True,
            )
            engine.stop()
            loop.remove_signal_handler(signal.SIGINT)

        loop.add_signal_handler(signal.SIGINT, stop)
        try:
            return await engine.run(items, confirmed=resumed, on_progress=_progress_line())
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            await apis.close()


def _progress_line() -> Any:
    """A progress callback writing one updating line to a terminal's stderr (else nothing)."""
    if not sys.stderr.isatty():
        return None
    shown = [0.0]

    def show(progress: Progress) -> None:
        now = time.monotonic()
        if now - shown[0] < 0.1 and progress.done < progress.total:
            return
        shown[0] = now
        eta = progress.eta(now)
        wait = f" · waiting {progress.waiting:.0f} s (429)" if progress.waiting >= 1 else ""
        sys.stderr.write(
            f"\r{progress.done:,}/{progress.total:,} · {progress.rate(now):.0f}/s"
            f"{f' · ETA {eta:.0f} s' if eta is not None else ''}"
            f" · failed {len(progress.failures):,}{wait}   "
        )
        if progress.done == progress.total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _summary(progress: Progress) -> dict[str, Any]:
    def ids(result: Result) -> list[str]:
        return [o.item.id for o in progress.outcomes if o.result is result]

    def why(result: Result) -> list[dict[str, str]]:
        return [_entry(o) for o in progress.outcomes if o.result is result]

    return {
        "deleted": ids(Result.DELETED),
        "already_gone": ids(Result.GONE),
        "failed": why(Result.FAILED),
        "skipped": why(Result.SKIPPED),
        "not_sent": ids(Result.STOPPED),
        "kept": why(Result.KEPT),
        "still_on_the_server": why(Result.STILL_THERE),
        "interrupted": why(Result.INTERRUPTED),
        "objects": _objects(progress),
    }


def _objects(progress: Progress) -> dict[str, int]:
    """Server objects: delete requested, verified gone, still there, failed, kept."""
    return {
        "requested": progress.requested,
        "verified": progress.objects(ObjectState.VERIFIED),
        "still_there": progress.objects(ObjectState.STILL_THERE),
        "failed": progress.objects(
            ObjectState.FAILED, ObjectState.REQUESTED, ObjectState.DELETED, ObjectState.PLANNED
        ),
        "kept": progress.objects(ObjectState.KEPT),
    }


def _entry(outcome: Outcome) -> dict[str, str]:
    return {"id": outcome.item.id, "reason": outcome.reason}


def _report(progress: Progress, as_json: bool) -> None:
    if as_json:
        click.echo(json_text(_summary(progress)))
        return
    for outcome in progress.outcomes:
        if outcome.result not in (Result.DELETED, Result.GONE):
            click.echo(f"{outcome.item.id}: {outcome.result.value}: {outcome.reason}", err=True)
    counts = ", ".join(
        f"{progress.count(r):,} {r.value}"
        for r in Result
        if progress.count(r) or r is Result.DELETED
    )
    click.echo(counts + ".")
    if progress.objects():
        objects = _objects(progress)
        click.echo(
            f"Server objects: {objects['requested']:,} requested, {objects['verified']:,} "
            f"verified gone, {objects['still_there']:,} still there, {objects['failed']:,} "
            f"failed" + (f", {objects['kept']:,} kept (in use)" if objects["kept"] else "") + "."
        )


def _show(plan: DeletionPlan, as_json: bool, *, dry_run: bool) -> None:
    """A dry run: what would be deleted, nothing sent."""
    if as_json:
        click.echo(
            json_text(
                {
                    "dry_run": dry_run,
                    "would_delete": [i.id for i in plan.items],
                    "skipped": [{"id": i.id, "reason": why} for i, why in plan.skipped],
                    "untrusted_ages": [
                        {
                            "id": i.id,
                            "server_said": i.last_activity.isoformat(),
                            "used": seen.isoformat(),
                            "would_delete": plan.planned(i),
                        }
                        for i, seen in plan.untrusted_ages
                    ],
                }
            )
        )
        return
    for line in plan.lines():
        click.echo(line)
    click.echo("Dry run: nothing was deleted.")


__all__ = ["delete", "prune"]
