"""`hotline call` (the simulator), `hotline flow ...` (validate, publish, rollback, list, show, calls,
surveys) and `hotline prompts ...` (list, render)."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime
from pathlib import Path

import click

from core.clictx import echo_json, platform_from_ctx

# ----------------------------------------------------------------------------- hotline call


def _start_time(at: str | None) -> datetime:
    from core.clock import SystemClock, local_zone

    if not at:
        return SystemClock().now()
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a date-time like 2026-10-01T10:00", param_hint="--at") from None
    return when if when.tzinfo else when.replace(tzinfo=local_zone())


def simulator_platform(at: str | None, *, in_place: bool = False):  # type: ignore[no-untyped-def]
    """A Platform with a FakeClock and in-process state and events, so a simulated call never
    touches live queues and never waits on real time. Its database is a throwaway copy of the
    node's (SQLite), deleted when the platform closes, unless `in_place` (a data dir no node runs
    on, e.g. in tests). A PostgreSQL database is a live deployment's: refused."""
    import tempfile

    from core.clictx import platform_factory
    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.runfile import running_node_url
    from core.settings import Settings
    from core.state import MemoryStore

    clock = FakeClock(_start_time(at))
    settings = Settings.from_env()
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if in_place:
        url = running_node_url(settings.data_dir)
        if url:
            raise click.ClickException(f"a node runs on {settings.data_dir} ({url}): the simulator will not write "
                                       f"into its database. Use `hotline call --node {url}`, or leave out --in-place.")
    else:
        source = _sqlite_path(settings.database_url)
        if source is None:
            raise click.ClickException(
                "the standalone simulator runs only on a SQLite database (it works on a throwaway copy); "
                "this is a live deployment's database: call through a node with `hotline call --node URL`.")
        scratch = tempfile.TemporaryDirectory(prefix="hotline-sim-")
        copy = Path(scratch.name) / "hotline.db"
        if source.exists():
            _copy_sqlite(source, copy)
        settings = Settings.from_env(database_url=f"sqlite:///{copy}")
    platform = platform_factory()(settings, clock=clock, store=MemoryStore(clock),
                                  bus=InProcessBus(settings.node_id, clock))
    if scratch is not None:
        close = platform.close

        def close_and_clean() -> None:
            close()
            scratch.cleanup()

        platform.close = close_and_clean  # type: ignore[method-assign]
    platform.migrate()
    return platform


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy even while a node writes (SQLite's online backup)."""
    import sqlite3

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()


def format_event(e: dict) -> str:
    kind = e["type"]
    head = f"{e['t']:7.1f}s  {kind:<9}"
    if kind == "prompt":
        return f"{head} {e['text']}  ({e['id']})"
    if kind == "node":
        return f"{head} {e['node']} [{e['node_type']}]"
    if kind == "input":
        return f"{head} {e['kind']}: {e['value']}"
    skip = {"t", "type"}
    return head + " " + " ".join(f"{k}={v}" for k, v in e.items() if k not in skip)


@click.command("call")
@click.option("--from", "caller", default="13800138000", show_default=True, help="Calling number.")
@click.option("--to", "called", default="12333", show_default=True, help="Entry number dialled.")
@click.option("--keys", default=None, help='Keys per prompt, e.g. "7 11010519491231002X# 246810#"; '
              "'-' lets a prompt time out, 'h' hangs up.")
@click.option("--say", "says", multiple=True, help="An utterance for a speech prompt (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the call as one JSON document.")
@click.option("--node", "node_url", default=None, metavar="URL",
              help="Call through this running node (default: the node running on this data dir, if any).")
@click.option("--token", default=None, envvar="HOTLINE_API_TOKEN",
              help="API token of a supervisor or admin for --node (default: the node key in the data dir).")
@click.option("--standalone", is_flag=True, help="Use the standalone simulator even when a node runs.")
@click.option("--in-place", is_flag=True,
              help="Standalone: write into the data dir's database instead of a throwaway copy "
                   "(refused while a node runs on it).")
@click.option("--patience", type=float, default=300.0, show_default=True,
              help="--node: seconds the caller waits in the queue before hanging up.")
@click.option("--no-agent", is_flag=True, help="Standalone: no demo agent answers queued calls.")
@click.option("--agent-no-answer", type=int, default=0, show_default=True,
              help="Standalone: agent legs that ring unanswered after the agent accepted (ring-no-answer).")
@click.option("--at", default=None, help="Standalone: simulated start time, Beijing time, e.g. 2026-10-01T10:00.")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), default=None, help="Start in this language.")
@click.option("--verbose-events", is_flag=True, help="Also print node, branch and retry events.")
def call_command(caller: str, called: str, keys: str | None, says: tuple[str, ...], as_json: bool,
                 node_url: str | None, token: str | None, standalone: bool, in_place: bool, patience: float,
                 no_agent: bool, agent_no_answer: int, at: str | None, language: str | None,
                 verbose_events: bool) -> None:
    """Place a call: through the running node (its engine, switch, ACD: a ready agent in the console
    gets it), or, with no node, in the standalone simulator on a throwaway copy of the database with
    a demo agent (interactive without --keys/--say)."""
    if node_url is None and not (standalone or in_place or at or agent_no_answer or no_agent):
        from core.runfile import running_node_url
        from core.settings import Settings

        node_url = running_node_url(Settings.from_env().data_dir)
    if node_url:
        if at or in_place or agent_no_answer:
            raise click.UsageError("--at, --in-place and --agent-no-answer are for the standalone simulator")
        _call_node(node_url, token, caller, called, keys, list(says), language, as_json, verbose_events, patience)
        return
    _call_standalone(caller, called, keys, says, as_json, no_agent, agent_no_answer, at, language, verbose_events,
                     in_place)


def _call_node(url: str, token: str | None, caller: str, called: str, keys: str | None, says: list[str],
               language: str | None, as_json: bool, verbose_events: bool, patience: float) -> None:
    from core.settings import Settings
    from core.testcalls import read_node_key
    from ivr.remote import NodeCallError, NodeClient, Printer, run_call

    client = NodeClient(url, key=None if token else read_node_key(Settings.from_env()), token=token)
    scripted = keys is not None or bool(says)
    printer = None if as_json else Printer(click.echo, format_event, verbose_events)
    if not as_json:
        click.echo(f"calling {called} from {caller} through the node at {url} (Ctrl-C hangs up)")
    try:
        result = run_call(client, caller=caller, called=called, keys=keys, says=says, lang=language,
                          printer=printer, read=None if scripted else input, patience_s=patience)
    except NodeCallError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"call {result['call_id']}: outcome {result.get('outcome') or 'ended'}")


def _call_standalone(caller: str, called: str, keys: str | None, says: tuple[str, ...], as_json: bool,
                     no_agent: bool, agent_no_answer: int, at: str | None, language: str | None,
                     verbose_events: bool, in_place: bool) -> None:
    from ivr.actions import Action
    from ivr.simulator import InteractiveCaller, ScriptedCaller, Simulator

    platform = simulator_platform(at, in_place=in_place)
    if not in_place:
        click.echo("standalone simulator on a throwaway copy of the database (the node's data stay unchanged; "
                   "`hotline call --node URL` calls through a running node)", err=True)
    try:
        if not platform.ivr.versions(called):
            raise click.ClickException(f"no flow is published for {called}: run `hotline init --demo` or "
                                       f"`hotline flow publish FILE --entry {called}`")
        scripted = keys is not None or bool(says)
        script = ScriptedCaller(keys or "", list(says)) if scripted else InteractiveCaller()
        printed = 0

        def live(action: Action) -> None:
            nonlocal printed
            state = platform.ivr.engine.state(sim_call_id) or {}
            events = state.get("events", [])
            for e in events[printed:]:
                if verbose_events or e["type"] not in ("node", "branch", "retry"):
                    click.echo(format_event(e))
            printed = len(events)

        sim_call_id = f"sim-{uuid.uuid4().hex[:12]}"  # unique across runs, even at a fixed --at time
        sim = Simulator(platform, script, agent=not no_agent, on_action=None if (as_json or scripted) else live,
                        agent_no_answer=agent_no_answer)
        result = sim.run(caller=caller, called=called, language=language, call_id=sim_call_id)
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        if scripted:
            for e in result.events:
                if verbose_events or e["type"] not in ("node", "branch", "retry"):
                    click.echo(format_event(e))
        click.echo(f"call {result.call_id}: flow version {result.flow_version}, outcome {result.outcome}")
    finally:
        platform.close()


# ----------------------------------------------------------------------------- hotline flow


@click.group("flow")
def flow_group() -> None:
    """Call flows: validate, publish, roll back, list."""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None


@flow_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def flow_validate(file: str, as_json: bool) -> None:
    """Check a flow file: schema, dangling targets, missing prompts, unreachable nodes, loops."""
    from ivr.validate import errors, validate_text

    problems = validate_text(_read(file))
    if as_json:
        echo_json([{"severity": p.severity, "code": p.code, "message": p.message, "node": p.node, "line": p.line}
                   for p in problems])
    else:
        for p in problems:
            click.echo(p.located(file))
    if errors(problems):
        if not as_json:
            click.echo(f"{file}: {len(errors(problems))} error(s)", err=True)
        sys.exit(1)
    if not as_json:
        click.echo(f"{file}: OK ({sum(1 for p in problems if p.severity == 'warning')} warning(s))")


@flow_group.command("publish")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--entry", default="12333", show_default=True, help="Entry number the flow answers.")
@click.option("--note", default="", help="Why this version.")
def flow_publish(file: str, entry: str, note: str) -> None:
    """Validate and publish FILE as the new live version for ENTRY (running calls keep theirs)."""
    from ivr.flow import FlowError

    platform = platform_from_ctx()
    try:
        info = platform.ivr.publish(_read(file), entry, by="cli", note=note)
    except FlowError as exc:
        for p in exc.problems:
            click.echo(p.located(file), err=True)
        raise click.ClickException("not published: the flow has errors") from None
    click.echo(f"published {info.name} as version {info.version} for entry {info.entry} (sha {info.sha256[:12]})")


@flow_group.command("rollback")
@click.option("--entry", default="12333", show_default=True)
@click.option("--to", "to", type=int, default=None, help="Version to make live (default: the previous one).")
def flow_rollback(entry: str, to: int | None) -> None:
    """Make an earlier version live again for new calls."""
    try:
        info = platform_from_ctx().ivr.rollback(entry, to, by="cli")
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"entry {info.entry} now runs version {info.version} ({info.name})")


@flow_group.command("list")
@click.option("--entry", default=None)
@click.option("--json", "as_json", is_flag=True)
def flow_list(entry: str | None, as_json: bool) -> None:
    """Published versions per entry number; * marks the live one."""
    versions = platform_from_ctx().ivr.versions(entry)
    if as_json:
        echo_json([v.to_dict() for v in versions])
        return
    if not versions:
        click.echo("no flow published yet")
    for v in versions:
        click.echo(f"{'*' if v.live else ' '} {v.entry:<8} v{v.version:<4} {v.name:<20} {v.sha256[:12]} "
                   f"{v.published_at:%Y-%m-%d %H:%M} {v.published_by:<8} {v.note}")


@flow_group.command("show")
@click.option("--entry", default="12333", show_default=True)
@click.option("--version", "version", type=int, default=None, help="Default: the live version.")
def flow_show(entry: str, version: int | None) -> None:
    """Print the YAML of a published version."""
    source = platform_from_ctx().ivr.flows.source(entry, version)
    if source is None:
        raise click.ClickException(f"entry {entry} has no {'version ' + str(version) if version else 'live version'}")
    click.echo(source, nl=False)


@flow_group.command("calls")
@click.option("--from", "caller", default=None, help="Calling number.")
@click.option("--id-number", default=None, help="Citizen ID number (matched by keyed hash).")
@click.option("--call", "call_id", default=None, help="One call with its events.")
@click.option("--limit", default=10, show_default=True)
def flow_calls(caller: str | None, id_number: str | None, call_id: str | None, limit: int) -> None:
    """Earlier calls (masked), as the console's 'earlier contacts' shows them."""
    ivr = platform_from_ctx().ivr
    if call_id:
        row = ivr.transcript(call_id)
        if row is None:
            raise click.ClickException(f"no call {call_id}")
        echo_json(row)
        return
    rows = ivr.contacts(caller=caller, id_number=id_number, limit=limit)
    if id_number:  # a person's call history is personal data: audited like any look-up
        platform_from_ctx().audit.record(actor="cli", channel="cli", action="ivr.contacts", outcome="ok",
                                         subject=id_number.upper(), fields=["calls"], detail={"found": len(rows)})
    echo_json(rows)


@flow_group.command("surveys")
@click.option("--by", "group_by", type=click.Choice(["province", "agent", "queue", "flow_version"]),
              default="province", show_default=True)
@click.option("--include-test", is_flag=True, help="Also test and simulated calls (left out by default).")
def flow_surveys(group_by: str, include_test: bool) -> None:
    """Satisfaction survey results: answers, mean score (1 best), share satisfied (1-2 of 1-4), distribution."""
    echo_json(platform_from_ctx().ivr.survey_report(group_by=group_by, include_test=include_test))


# ----------------------------------------------------------------------------- hotline prompts


@click.group("prompts")
def prompts_group() -> None:
    """The prompt catalog."""


@prompts_group.command("list")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def prompts_list(lang: str) -> None:
    """Every prompt id with its text."""
    from ivr.prompts import PromptCatalog

    catalog = PromptCatalog.load()
    for pid in sorted(catalog.entries):
        click.echo(f"{pid:<28} {catalog.text(pid, lang)}")
    missing = catalog.missing_translations("en")
    if missing:
        click.echo(f"({len(missing)} prompt(s) without en text: {', '.join(missing)})", err=True)


@prompts_group.command("render")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: <data dir>/prompts).")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["zh", "en"]), default=("zh", "en"))
def prompts_render(out: str | None, langs: tuple[str, ...]) -> None:
    """Write the static prompts as 8 kHz mono 16-bit WAV files (<lang>/<id>.wav) with the speech layer.

    Not needed for calls (the node speaks every prompt itself); useful to review the audio or as a start for
    a center's own recordings, which then take precedence over TTS."""
    from ivr.prompts import PromptCatalog, placeholders
    from ivr.speech import SpeechUnavailable, speech_of

    platform = platform_from_ctx()
    speech = speech_of(platform)
    folder = Path(out) if out else platform.settings.data_dir / "prompts"
    catalog = PromptCatalog.load()
    made = skipped = 0
    for lang in langs:
        (folder / lang).mkdir(parents=True, exist_ok=True)
        for pid in sorted(catalog.entries):
            text = catalog.entries[pid].text.get(lang)
            if not text or placeholders(text):
                skipped += 1  # dynamic prompts are spoken at call time
                continue
            try:
                speech.render_to(text, folder / lang / f"{pid}.wav", lang)
            except SpeechUnavailable as exc:
                raise click.ClickException(f"no TTS engine could render {pid}: {exc} (install espeak-ng and sox, "
                                           "or set HOTLINE_TTS_ENGINE)") from exc
            made += 1
    click.echo(f"rendered {made} prompt(s) into {folder} ({skipped} dynamic or untranslated skipped)")


@prompts_group.command("say")
@click.argument("text")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Also copy the audio here.")
@click.option("--json", "as_json", is_flag=True)
def prompts_say(text: str, lang: str, out: str | None, as_json: bool) -> None:
    """Render TEXT with the speech layer (cached): prints the file, the text as spoken and its signed URL."""
    from ivr.speech import SpeechUnavailable, speech_of
    from ivr.speech.normalize import speakable

    speech = speech_of(platform_from_ctx())
    try:
        rendered = speech.render(text, lang)
    except SpeechUnavailable as exc:
        raise click.ClickException(f"no TTS engine could render the text: {exc}") from exc
    path = rendered.path
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.path.read_bytes())
    row = {"file": str(path), "engine": rendered.engine, "spoken": speakable(text, rendered.language),
           "url": speech.url(rendered), "bytes": path.stat().st_size}
    if as_json:
        echo_json(row)
    else:
        for key, value in row.items():
            click.echo(f"{key:<7} {value}")


@prompts_group.command("warm")
def prompts_warm() -> None:
    """Render every static prompt into the speech cache (a node also does this when it starts)."""
    from ivr.asterisk.runtime import static_prompts
    from ivr.speech import speech_of

    prompts = static_prompts()
    failed = speech_of(platform_from_ctx()).warm(prompts)
    click.echo(f"{len(prompts) - failed} of {len(prompts)} static prompts rendered")
    if failed:
        raise SystemExit(1)
