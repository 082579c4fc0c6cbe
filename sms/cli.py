"""`hotline sms ...`: send, status, bulk, dispatch, purge, templates, preview, stats (a received message
is run through the conversation channel with `hotline smschat inbound`)."""

from __future__ import annotations

import csv
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import click

from core.clictx import echo_json, platform_from_ctx


def _sms() -> Any:
    return platform_from_ctx().sms


def _parse_vars(items: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not k=v", param_hint="--var")
        key, value = item.split("=", 1)
        values[key.strip()] = value
    return values


@click.group("sms")
def sms_group() -> None:
    """SMS gateway: outbox, templates, dispatcher, receipts, retention."""


@sms_group.command("preview")
@click.argument("text")
def preview_command(text: str) -> None:
    """Show the encoding and part count of a text (the signature counted)."""
    pv = _sms().preview(text)
    click.echo(f"{pv.parts} part(s), {pv.encoding}, {pv.length} units ({pv.per_part} per part)")


@sms_group.command("send")
@click.option("--to", "to", required=True, help="Recipient mobile number.")
@click.option("--template", "template", required=True)
@click.option("--var", "variables", multiple=True, help="Template variable k=v (repeatable).")
@click.option("--category", type=click.Choice(["otp", "reply", "essential", "notice"]), default="notice",
              show_default=True)
@click.option("--key", "key", default=None, help="Idempotency key (a repeat returns the same message).")
@click.option("--yes", is_flag=True, help="Do not ask before queueing.")
@click.option("--dispatch/--no-dispatch", default=True, show_default=True, help="Run one dispatcher pass.")
def send_command(to: str, template: str, variables: tuple[str, ...], category: str, key: str | None,
                 yes: bool, dispatch: bool) -> None:
    """Queue a templated message (shows the text and part count first)."""
    from sms.service import SmsError

    sms = _sms()
    values = _parse_vars(variables)
    try:
        text = sms.render(template, values)
    except SmsError as exc:
        raise click.ClickException(str(exc)) from None
    pv = sms.preview(text)
    click.echo(f"{pv.text}\n-- {pv.parts} part(s), {pv.encoding}, {pv.length} units")
    if not yes and sys.stdin.isatty() and not click.confirm("send?", default=True):
        raise click.Abort()
    try:
        msg_id = sms.send(to, template, values, category=category, idempotency_key=key)
    except SmsError as exc:
        raise click.ClickException(str(exc)) from None
    if dispatch:
        sms.dispatcher.run_once()
    status = sms.status(msg_id)
    click.echo(f"queued as {msg_id}: {status['status']}" + (f" ({status['error']})" if status["error"] else ""))


@sms_group.command("status")
@click.argument("message_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def status_command(message_id: int, as_json: bool) -> None:
    """Show one outbox message."""
    sms = _sms()
    status = sms.status(message_id)
    if status is None:
        raise click.ClickException(f"no message {message_id}")
    # the text may carry a citizen's record summary: viewing it is audited
    sms.platform.audit.record(actor="cli", channel="cli", action="sms.status", outcome="ok",
                              session_id=None, fields=["text"], detail={"outbox_id": message_id})
    if as_json:
        echo_json(status)
        return
    for key, value in status.items():
        if value not in (None, ""):
            click.echo(f"{key:>20}: {value}")


@sms_group.command("dispatch")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--until-empty", is_flag=True, help="Run until nothing is due, then exit.")
def dispatch_command(once: bool, until_empty: bool) -> None:
    """Send due messages from the outbox (default: keep running until Ctrl-C)."""
    import time

    sms = _sms()
    if once:
        r = sms.dispatcher.run_once()
        click.echo(f"claimed {r.claimed}, sent {r.sent}, retried {r.retried}, failed {r.failed}, "
                   f"deferred {r.deferred}, expired {r.expired}, recovered {r.recovered}")
        return
    total_sent = 0
    try:
        while True:
            r = sms.dispatcher.drain()
            total_sent += r.sent
            if until_empty:
                break
            time.sleep(sms.config.poll_interval)
    except KeyboardInterrupt:
        pass
    click.echo(f"sent {total_sent}")


@sms_group.command("purge")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Blank texts older than this many days (default: HOTLINE_SMS_RETENTION_DAYS, 90).")
@click.option("--dry-run", is_flag=True, help="Only count what would be blanked.")
def purge_command(days: float | None, dry_run: bool) -> None:
    """Privacy retention: blank old message texts, keep ids, status, timestamps and part counts."""
    sms = _sms()
    if days is None and sms.config.retention_days <= 0:
        raise click.ClickException("retention is off (HOTLINE_SMS_RETENTION_DAYS=0); pass --days N")
    click.echo(sms.purge(days, dry_run=dry_run, actor="cli").line())


@sms_group.command("bulk")
@click.option("--template", required=True)
@click.option("--recipients", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV with a `phone` column plus one column per template variable (or one number per line).")
@click.option("--var", "variables", multiple=True, help="A variable common to every recipient, k=v.")
@click.option("--category", type=click.Choice(["essential", "notice"]), default="essential", show_default=True)
@click.option("--batch", "batch_id", default=None, help="Batch id (re-running a batch queues nothing twice).")
@click.option("--dispatch/--no-dispatch", default=False, show_default=True,
              help="Also send now, at the configured rate, with progress.")
def bulk_command(template: str, path: Path, variables: tuple[str, ...], category: str, batch_id: str | None,
                 dispatch: bool) -> None:
    """Queue a bulk notice (e.g. pension paid) through the outbox."""
    sms = _sms()
    common = _parse_vars(variables)
    batch_id = batch_id or f"{path.stem}-{uuid.uuid4().hex[:8]}"
    rows = list(_read_recipients(path))
    sample = sms.render(template, {**common, **rows[0][1]}) if rows else ""
    if rows:
        pv = sms.preview(sample)
        click.echo(f"{len(rows)} recipients; e.g. {pv.text!r}: {pv.parts} part(s), {pv.encoding}")
    with click.progressbar(length=len(rows), label="queueing") as bar:
        report = sms.bulk(template, rows, category=category, batch_id=batch_id, common=common,
                          progress=bar.update)
    click.echo(f"batch {batch_id}: queued {report.queued}, already queued {report.duplicates}, "
               f"rejected {len(report.rejected)}, {report.parts} parts")
    for line, reason in report.rejected[:20]:
        click.echo(f"  line {line}: {reason}", err=True)
    if dispatch and report.queued:
        rate = sum(sms.config.rate_for(p) for p in sms.config.providers)
        click.echo(f"sending at up to {rate}/s via {', '.join(sms.config.providers)}")
        with click.progressbar(length=report.queued, label="sending") as bar:
            sms.dispatcher.drain(progress=lambda r: bar.update(r.sent + r.failed))


def _read_recipients(path: Path) -> list[tuple[str, dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text else ""
    if "," not in first and not first.lower().startswith("phone"):
        return [(line.strip(), {}) for line in text.splitlines() if line.strip()]
    reader = csv.DictReader(text.splitlines())
    out = []
    for row in reader:
        number = (row.pop("phone", None) or row.pop("mobile", None) or "").strip()
        out.append((number, {k: v for k, v in row.items() if k and v not in (None, "")}))
    return out


@sms_group.group("templates")
def templates_group() -> None:
    """SMS templates."""


@templates_group.command("list")
def templates_list() -> None:
    for t in _sms().templates.all():
        click.echo(f"{t.name:<20} {t.category:<9} {{{', '.join(t.variables)}}}  {t.body}")


@templates_group.command("save")
@click.argument("name")
@click.argument("body")
@click.option("--category", type=click.Choice(["otp", "reply", "essential", "notice"]), default="notice")
@click.option("--description", default="")
def templates_save(name: str, body: str, category: str, description: str) -> None:
    """Create or replace a template (variables are the {names} in BODY)."""
    from sms.templates import TemplateError

    try:
        view = _sms().templates.save(name, body, category=category, description=description)
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"saved {view.name} {{{', '.join(view.variables)}}}")


@sms_group.command("stats")
@click.option("--json", "as_json", is_flag=True)
def stats_command(as_json: bool) -> None:
    """Outbox counts and inbound reply times (GB/T 33358: reply within 3 minutes)."""
    from sms.stats import reply_times

    sms = _sms()
    from sms import outbox

    data = {"outbox": outbox.counts(sms.db), "replies": reply_times(sms.db)}
    if as_json:
        echo_json(data)
    else:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
