"""`hotline recordings list|show|purge|hold|release|import`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from core.clictx import echo_json, platform_from_ctx
from recordings.retention import HOLD_REASONS


def _svc() -> Any:
    return platform_from_ctx().recordings


def _actor(actor: str | None) -> str:
    return actor or "cli"


@click.group("recordings")
def recordings_group() -> None:
    """Call recordings: metadata, holds, retention."""


@recordings_group.command("list")
@click.option("--province", default=None, help="Two-digit province code (default: all).")
@click.option("--agent", "agent_id", type=int, default=None, help="ACD agent id.")
@click.option("--call", "call_id", default=None)
@click.option("--status", default=None, help="recording | closing | stored | failed | purged")
@click.option("--days", type=float, default=None, help="Only recordings started in the last N days.")
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
def list_command(province: str | None, agent_id: int | None, call_id: str | None, status: str | None,
                 days: float | None, limit: int, as_json: bool) -> None:
    """List recordings, newest first."""
    svc = _svc()
    since = svc.clock.now() - timedelta(days=days) if days else None
    rows = svc.list(province=province, agent_id=agent_id, call_id=call_id, status=status, since=since, limit=limit)
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    if not rows:
        click.echo("no recordings")
        return
    for r in rows:
        held = " HELD" if r.held else ""
        dur = f"{r.duration_s:.0f}s" if r.duration_s is not None else "-"
        click.echo(f"{r.id:>6}  {r.started_at:%Y-%m-%d %H:%M}  {r.province}  {r.call_id}#{r.leg}  "
                   f"agent {r.agent_id or '-'}  {dur:>6}  {r.status}{held}")


@recordings_group.command("show")
@click.argument("recording_id", type=int)
def show_command(recording_id: int) -> None:
    """Metadata, gaps and holds of one recording (JSON)."""
    svc = _svc()
    rec = svc.get(recording_id)
    if rec is None:
        raise click.ClickException(f"no recording {recording_id}")
    out = rec.to_dict()
    out["holds"] = svc.holds(recording_id)
    echo_json(out)


@recordings_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(dry_run: bool) -> None:
    """Delete recordings past their province's retention period (holds are kept)."""
    click.echo(_svc().purge(dry_run=dry_run, actor="cli:recordings-purge").line())


@recordings_group.command("hold")
@click.argument("recording_id", type=int, required=False)
@click.option("--call", "call_id", default=None, help="Hold every leg of this call instead.")
@click.option("--reason", type=click.Choice(HOLD_REASONS), default="complaint", show_default=True)
@click.option("--reference", default="", help="Complaint or ticket number.")
@click.option("--actor", default=None)
def hold_command(recording_id: int | None, call_id: str | None, reason: str, reference: str,
                 actor: str | None) -> None:
    """Keep a recording (or a call's recordings) past retention until released."""
    svc = _svc()
    if call_id:
        ids = svc.hold_call(call_id, reason=reason, reference=reference, actor=_actor(actor))
        if not ids:
            raise click.ClickException(f"no recordings of call {call_id}")
        click.echo(f"held {len(ids)} recording(s) of call {call_id}")
        return
    if recording_id is None:
        raise click.UsageError("give a recording id or --call")
    try:
        hold_id = svc.hold(recording_id, reason=reason, reference=reference, actor=_actor(actor))
    except (KeyError, ValueError) as exc:
        raise click.ClickException(str(exc).strip("'")) from exc
    click.echo(f"hold {hold_id} placed on recording {recording_id}")


@recordings_group.command("release")
@click.argument("recording_id", type=int)
@click.option("--hold", "hold_id", type=int, default=None, help="Release only this hold.")
@click.option("--actor", default=None)
def release_command(recording_id: int, hold_id: int | None, actor: str | None) -> None:
    """Release the holds on a recording (retention applies again)."""
    n = _svc().release(recording_id, actor=_actor(actor), hold_id=hold_id)
    click.echo(f"released {n} hold(s) on recording {recording_id}")


@recordings_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--call", "call_id", required=True)
@click.option("--agent", "agent_id", type=int, default=None)
@click.option("--started", default=None, help="ISO start time (default: now).")
def import_command(path: Path, call_id: str, agent_id: int | None, started: str | None) -> None:
    """Store an existing audio file (WAV) as a recording of a call, e.g. from a legacy recorder."""
    when = datetime.fromisoformat(started) if started else None
    rec_id = _svc().store_file(call_id, path, channel="import", agent_id=agent_id, started_at=when,
                               source_ref=f"import:{path.name}:{call_id}")
    click.echo(f"stored recording {rec_id}")
