"""``thread-browser emulator``: serve the OpenAI-compatible emulator."""

from __future__ import annotations

import contextlib
import errno

import click

ALL_FAULTS = "500,429,timeout,drop"  # FAULT_KINDS (importing it would load the server)


def _fault_kinds(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from tui.emulator.config import FAULT_KINDS

    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or not kinds:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'} is not a fault kind: give a comma-separated "
            f"list of {', '.join(FAULT_KINDS)}."
        )
    return kinds


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--seed-demo",
    is_flag=True,
    help="Fill the server with demo threads and "
    "conversations (under the API key given by --demo-key).",
)
@click.option(
    "--demo-key",
    default="demo-key",
    show_default=True,
    help="The API key whose namespace holds the demo data.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Delay added to every request.",
)
@click.option(
    "--token-delay-ms",
    default=20.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Pause between streamed tokens.",
)
@click.option(
    "--rate-limit",
    default=0.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Requests per second per key before 429s (0: unlimited).",
)
@click.option(
    "--error-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    show_default=True,
    help="Share of requests that fail with a 500.",
)
@click.option(
    "--throttle-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    show_default=True,
    help="Share of requests answered 429 with --throttle-after as retry-after.",
)
@click.option(
    "--throttle-after",
    default=1.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Seconds the injected 429s ask to wait.",
)
@click.option(
    "--fault-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    show_default=True,
    help="Share of requests that get one of --fault-kinds (seeded by --seed).",
)
@click.option(
    "--fault-kinds",
    default=ALL_FAULTS,
    show_default=True,
    callback=_fault_kinds,
    help="Faults to mix: 500, 429 (asking to wait --fault-retry-after), timeout (stalls "
    "--fault-stall), drop (an event stream cut midway).",
)
@click.option(
    "--fault-retry-after",
    default=300.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Seconds the injected 429s ask to wait.",
)
@click.option(
    "--fault-stall",
    default=35.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Seconds a timeout fault holds its request (past the client's timeout).",
)
@click.option(
    "--fault-cut-after",
    default=3,
    type=click.IntRange(0),
    show_default=True,
    help="Text deltas a dropped stream sends before it is cut.",
)
@click.option(
    "--seed-threads",
    default=0,
    type=click.IntRange(0, 1_000_000),
    show_default=True,
    help="Create this many empty threads under --demo-key (their IDs follow from --seed).",
)
@click.option(
    "--seed-completions",
    default=0,
    type=click.IntRange(0, 1_000_000),
    show_default=True,
    help="Store this many small chat completions under --demo-key (listable, for discover).",
)
@click.option(
    "--seed-conversations",
    default=0,
    type=click.IntRange(0, 100_000),
    show_default=True,
    help="Store this many conversations of 10 items, each written into by 5 stored responses.",
)
@click.option(
    "--seed-chain",
    default=0,
    type=click.IntRange(0, 100_000),
    show_default=True,
    help="Store a chain of this many responses under --demo-key (its IDs follow from --seed).",
)
@click.option(
    "--sunset",
    is_flag=True,
    help="Answer every Assistants route with the 404 api.openai.com gives since 2026-08-26.",
)
@click.option("--no-stream", is_flag=True, help="Ignore stream=true and answer with JSON.")
@click.option(
    "--hollow-deletes",
    is_flag=True,
    help="Answer every DELETE as done and delete nothing (a deletion must verify).",
)
@click.option(
    "--own-inputs",
    is_flag=True,
    help="List only a response's own input items, not the context it continued.",
)
@click.option(
    "--list",
    "listing",
    multiple=True,
    type=click.Choice(["threads", "conversations", "responses"]),
    help="Offer GET /threads (as Azure's agents), GET /conversations or GET /responses (as "
    "OGX); repeatable.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of IDs, replies and faults.")
@click.option(
    "--keys",
    default=None,
    metavar="K1,K2",
    help="Accept only these API keys (and --demo-key); any other gets a 401, as the real API.",
)
def emulator(
    host: str,
    port: int,
    seed_demo: bool,
    demo_key: str,
    latency_ms: float,
    token_delay_ms: float,
    rate_limit: float,
    error_rate: float,
    throttle_rate: float,
    throttle_after: float,
    fault_rate: float,
    fault_kinds: tuple[str, ...],
    fault_retry_after: float,
    fault_stall: float,
    fault_cut_after: int,
    seed_threads: int,
    seed_completions: int,
    seed_conversations: int,
    seed_chain: int,
    sunset: bool,
    no_stream: bool,
    hollow_deletes: bool,
    own_inputs: bool,
    listing: tuple[str, ...],
    seed: int,
    keys: str | None,
) -> None:
    """Serve an OpenAI-compatible emulator of threads and conversations."""
    from tui.emulator import Emulator, EmulatorConfig
    from tui.emulator.demo import seed_completions as seed_completions_data
    from tui.emulator.demo import seed_demo as seed_demo_data
    from tui.emulator.demo import seed_threads as seed_threads_data
    from tui.emulator.server import bind, serve_forever

    config = EmulatorConfig(
        latency_ms=latency_ms,
        token_delay_ms=token_delay_ms,
        rate_limit=rate_limit,
        error_rate=error_rate,
        throttle_rate=throttle_rate,
        throttle_after=throttle_after,
        fault_rate=fault_rate,
        fault_kinds=fault_kinds,
        fault_retry_after=fault_retry_after,
        fault_stall=fault_stall,
        fault_cut_after=fault_cut_after,
        sunset=sunset,
        no_stream=no_stream,
        own_inputs=own_inputs,
        hollow_deletes=hollow_deletes,
        listing=frozenset(listing),
        seed=seed,
        api_keys=_accepted(keys, demo_key),
    )
    emu = Emulator(config)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise click.ClickException(_bind_error(host, port, exc)) from None
    click.echo(f"http://{host}:{sock.getsockname()[1]}/v1")
    if seed_demo:
        manifest = seed_demo_data(emu, demo_key)
        click.echo(
            f"demo data: {len(manifest.threads)} threads, {len(manifest.conversations)} "
            f"conversations, under API key '{demo_key}'",
            err=True,
        )
    if seed_threads:
        seed_threads_data(emu, demo_key, seed_threads)
        click.echo(f"{seed_threads} empty threads under API key '{demo_key}'", err=True)
    if seed_completions:
        seed_completions_data(emu, demo_key, seed_completions)
        click.echo(f"{seed_completions} stored completions under API key '{demo_key}'", err=True)
    if seed_conversations:
        from tui.emulator.demo import seed_conversations as seed_conversations_data

        seed_conversations_data(emu, demo_key, seed_conversations)
        click.echo(f"{seed_conversations} conversations under API key '{demo_key}'", err=True)
    if seed_chain:
        from tui.emulator.demo import seed_chain as seed_chain_data

        head = seed_chain_data(emu, demo_key, seed_chain)
        click.echo(f"a chain of {seed_chain} responses ending at {head}", err=True)
    click.echo("serving until interrupted (Ctrl+C)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(emu, sock)


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use: pick another with --port, or --port 0."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: use 127.0.0.1."
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _accepted(keys: str | None, demo_key: str) -> frozenset[str] | None:
    """The keys ``--keys`` names, with the demo key (its data stays reachable); ``None``: any."""
    if not keys:
        return None
    return frozenset({k.strip() for k in keys.split(",") if k.strip()} | {demo_key})
