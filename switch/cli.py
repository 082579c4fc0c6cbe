"""`hotline route` (explain a routing decision) and `hotline centers` (the directory, closures,
calendar overrides, remote deployments)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import yaml

from core.clictx import echo_json, platform_from_ctx
from core.topics import TOPICS
from switch.hours import describe


@click.command("route")
@click.option("--from", "caller", default=None, help="Caller number (caller ID).")
@click.option("--id", "verified_id", default=None, help="A verified citizen ID number.")
@click.option("--unverified-id", "id_number", default=None, help="An ID number entered but not verified.")
@click.option("--insured", default=None, metavar="PROVINCE[:CITY]",
              help="Where the verified caller is insured per the core system, e.g. 44:广州市.")
@click.option("--choice", default=None, help="Province code the caller explicitly chose (keyed or said).")
@click.option("--topic", type=click.Choice(sorted(TOPICS)), default=None)
@click.option("--entry", "entry_center", default="00", show_default=True, help="Center the call came in at.")
@click.option("--json", "as_json", is_flag=True)
def route_command(caller: str | None, verified_id: str | None, id_number: str | None, insured: str | None,
                  choice: str | None, topic: str | None, entry_center: str, as_json: bool) -> None:
    """Show where a call would go and why."""
    insured_province, _, insured_city = (insured or "").partition(":")
    decision = platform_from_ctx().switch.route(caller=caller, verified_id=verified_id, choice=choice,
                                                topic=topic, entry_center=entry_center, id_number=id_number,
                                                insured_province=insured_province or None,
                                                insured_city=insured_city or None)
    if as_json:
        echo_json(decision.to_dict())
        return
    d = decision.to_dict()
    click.echo(f"province {d['province']} {d['province_name']} → center {d['center_code']} "
               f"queue {d['queue_id'] or '-'} overflow {d['overflow'] or '-'} open {d['is_open']}")
    for r in d["reasons"]:
        click.echo(f"  - {r['code']}: {r['text']}")


@click.group("centers")
def centers_group() -> None:
    """The directory of 12333 centers."""


@centers_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def centers_list(as_json: bool) -> None:
    """Every center with its mode, capacity, waiting calls and whether it is open now."""
    platform = platform_from_ctx()
    sw = platform.switch
    rows = []
    for c in sw.centers():
        st = sw.hours_state(c.code)
        rows.append({"code": c.code, "name": c.name, "mode": c.mode, "capacity": c.capacity,
                     "waiting": platform.agents.center_load(c.code), "open": st.open, "reason": st.reason,
                     "queues": len(platform.agents.queues(c.code))})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['code']}  {r['name']:<18} {r['mode']:<6} open={'yes' if r['open'] else 'no ':<3} "
                   f"({r['reason']}) waiting {r['waiting']}/{r['capacity']} queues {r['queues']}")


def _center(code: str):  # type: ignore[no-untyped-def]
    center = platform_from_ctx().switch.center(code)
    if center is None:
        raise click.ClickException(f"no center {code}")
    return center


@centers_group.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
def centers_show(code: str, as_json: bool) -> None:
    """A center's queues, hours, overflow and current state."""
    center = _center(code)
    state = platform_from_ctx().switch.hours_state(code)
    queues = platform_from_ctx().agents.queues(code)
    if as_json:
        echo_json({**center.to_dict(), "queues": [q.to_dict() for q in queues], "hours_state": state.to_dict()})
        return
    click.echo(f"{center.code} {center.name} ({center.mode}{' ' + (center.base_url or '') if center.remote else ''})")
    click.echo(f"  hours: {describe(center.weekly_hours)}")
    click.echo(f"  now: {'open' if state.open else 'closed'} ({state.reason}) {state.text_zh}")
    click.echo(f"  overflow: {', '.join(center.overflow)}; capacity {center.capacity}")
    for q in queues:
        click.echo(f"  queue {q.id:<22} {TOPICS.get(q.topic, q.topic):<8} max wait {q.max_wait}s "
                   f"then {q.overflow_action}")


@centers_group.command("close")
@click.argument("code")
@click.option("--text", default="", help="What callers hear (zh).")
def centers_close(code: str, text: str) -> None:
    """Emergency closure: overrides holidays and hours until `centers open`."""
    _center(code)
    platform_from_ctx().switch.close_center(code, text)
    click.echo(f"center {code} closed (emergency)")


@centers_group.command("open")
@click.argument("code")
def centers_open(code: str) -> None:
    """Lift an emergency closure."""
    _center(code)
    platform_from_ctx().switch.open_center(code)
    click.echo(f"center {code} reopened")


@centers_group.command("overflow")
@click.argument("code")
@click.argument("actions", nargs=-1, required=True)
def centers_overflow(code: str, actions: tuple[str, ...]) -> None:
    """Where calls go when CODE is closed or full, in order: national, center:<code>, callback, ticket."""
    _center(code)
    for action in actions:
        ok = action in ("national", "callback", "ticket") or (
            action.startswith("center:") and platform_from_ctx().switch.center(action[7:]) is not None)
        if not ok:
            raise click.ClickException(f"unknown overflow action {action!r}: national, center:<code>, callback, ticket")
    platform_from_ctx().switch.update_center(code, overflow=list(actions))
    click.echo(f"center {code} overflows to {' > '.join(actions)}")


@centers_group.command("remote")
@click.argument("code")
@click.option("--url", "base_url", default=None, help="Base URL of the deployment hosting it; omit for local.")
@click.option("--trunk", default=None, help="Telephony trunk to that deployment, e.g. PJSIP/trunk-gd.")
def centers_remote(code: str, base_url: str | None, trunk: str | None) -> None:
    """Mark a center as hosted by another deployment (or, without --url, by this one)."""
    _center(code)
    if base_url:
        platform_from_ctx().switch.update_center(code, mode="remote", base_url=base_url, trunk=trunk)
        click.echo(f"center {code} is remote at {base_url} via {trunk or '-'}")
    else:
        platform_from_ctx().switch.update_center(code, mode="local", base_url=None, trunk=None)
        click.echo(f"center {code} is local")


@centers_group.group("calendar", invoke_without_command=True)
@click.option("--check", is_flag=True, help="Warn (exit 1) when this year's or, from 1 November, next year's "
                                          "official calendar is missing or provisional.")
@click.pass_context
def calendar_group(ctx: click.Context, check: bool) -> None:
    """The official calendar (per year, from the State Council's notice) and per-center overrides."""
    if check:
        warnings = platform_from_ctx().switch.calendar_warnings()
        for text in warnings:
            click.echo(f"WARNING: {text}", err=True)
        if not warnings:
            click.echo("calendar ok: " + ", ".join(f"{y['year']} {y['status']}"
                                                   for y in platform_from_ctx().switch.calendar_years()))
        ctx.exit(1 if warnings else 0)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@calendar_group.command("years")
@click.option("--json", "as_json", is_flag=True)
def calendar_years(as_json: bool) -> None:
    """The years of the official calendar in the database, their status and source."""
    rows = platform_from_ctx().switch.calendar_years()
    if as_json:
        echo_json(rows)
        return
    for y in rows:
        click.echo(f"{y['year']} {y['status']:<11} {y['holidays']:>2} days off {y['workdays']:>2} make-up days  "
                   f"{y['source']}")


@calendar_group.command("import-notice")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "actor", default="cli", show_default=True)
def calendar_import_notice(path: Path, actor: str) -> None:
    """Import a year of the State Council's holiday notice (file format: docs/switch-acd.md). The
    whole file is checked first; the year's days are replaced in one transaction."""
    from switch.calendar import CalendarError, parse_notice

    try:
        notice = parse_notice(path.read_text(encoding="utf-8"))
    except (CalendarError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: {exc}; nothing imported") from None
    platform_from_ctx().switch.import_notice(notice, actor=actor)
    click.echo(f"{notice.year} ({notice.status}): {notice.holidays} days off, {notice.workdays} make-up working "
               f"days imported from {notice.source or path.name}")


@calendar_group.command("export")
@click.argument("year", type=int)
def calendar_export(year: int) -> None:
    """A year of the official calendar as a notice file (to check it, or to start from)."""
    from switch.calendar import notice_to_yaml

    notice = platform_from_ctx().switch.year_notice(year)
    if notice is None:
        raise click.ClickException(f"{year} is not in the database")
    click.echo(notice_to_yaml(notice), nl=False)


@calendar_group.command("official")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["holiday", "workday", "none"]))
@click.option("--name", default="")
@click.option("--by", "actor", default="cli", show_default=True)
def calendar_official(day, kind: str, name: str, actor: str) -> None:  # type: ignore[no-untyped-def]
    """Correct one day of the official calendar (holiday, workday = 调休上班, none = ordinary day)."""
    try:
        platform_from_ctx().switch.set_official_day(day.date(), None if kind == "none" else kind, name=name,
                                                    actor=actor)
    except (KeyError, ValueError) as exc:
        raise click.ClickException(f"not saved: {exc}") from None
    click.echo(f"{day.date()} {kind} {name}".rstrip())


@calendar_group.command("list")
def calendar_list() -> None:
    for o in platform_from_ctx().switch.overrides():
        click.echo(f"{o.day.isoformat()} {o.center_code:<2} {o.kind:<8} {o.name}")


@calendar_group.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["holiday", "workday", "closed", "open"]))
@click.option("--center", "center_code", default="*", show_default=True)
@click.option("--name", default="")
def calendar_set(day, kind: str, center_code: str, name: str) -> None:  # type: ignore[no-untyped-def]
    try:
        platform_from_ctx().switch.set_override(day.date(), kind, center_code=center_code, name=name)
    except (KeyError, ValueError) as exc:
        raise click.ClickException(f"not saved: {exc}") from None
    click.echo(f"{day.date()} {center_code} {kind}")


@calendar_group.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--center", "center_code", default="*", show_default=True)
def calendar_remove(day, center_code: str) -> None:  # type: ignore[no-untyped-def]
    n = platform_from_ctx().switch.remove_override(day.date(), center_code)
    click.echo(f"removed {n}")


@calendar_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_import(path: Path) -> None:
    """Load overrides from YAML: a list of {day: 2027-10-01, kind: holiday, center: "*", name: 国庆节}.
    Every entry is checked before any is saved."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{path}: not valid YAML: {exc}") from None
    parsed = []
    for i, e in enumerate(entries if isinstance(entries, list) else [None]):
        try:
            day = e["day"] if isinstance(e["day"], date) else date.fromisoformat(str(e["day"]))
            kind = str(e["kind"])
            if kind not in ("holiday", "workday", "closed", "open"):
                raise ValueError(kind)
            parsed.append((day, kind, str(e.get("center", "*")), str(e.get("name", ""))))
        except (TypeError, KeyError, ValueError) as exc:
            raise click.ClickException(f"{path}: entry {i + 1} is invalid ({exc}); nothing imported") from None
    sw = platform_from_ctx().switch
    for day, kind, center, name in parsed:
        sw.set_override(day, kind, center_code=center, name=name)
    click.echo(f"imported {len(parsed)} calendar overrides")


@centers_group.command("block")
@click.argument("number")
@click.option("--reason", required=True, help="Why (harassment, abuse …); kept in the audit trail.")
@click.option("--days", type=float, default=30.0, show_default=True, help="How long the block lasts.")
@click.option("--province", "scope", default="*", show_default=True,
              help="Province code, or * for every center (national).")
@click.option("--by", "actor", default="cli", show_default=True, help="Who blocks (for the audit trail).")
def centers_block(number: str, reason: str, days: float, scope: str, actor: str) -> None:
    """Block a caller number: they hear a neutral message and the call ends."""
    from switch.blocklist import BlockError

    try:
        block = platform_from_ctx().switch.blocklist.block(number, reason=reason, actor=actor, scope=scope, days=days)
    except BlockError as exc:
        raise click.ClickException(f"not blocked: {exc.message}") from None
    d = block.to_dict()
    click.echo(f"block {d['id']}: {d['number']} {d['scope_name']} until {d['expires_at']}")


@centers_group.command("unblock")
@click.argument("block_id", type=int)
@click.option("--by", "actor", default="cli", show_default=True)
def centers_unblock(block_id: int, actor: str) -> None:
    """Lift a block before it expires."""
    from switch.blocklist import BlockError

    try:
        platform_from_ctx().switch.blocklist.lift(block_id, actor=actor)
    except BlockError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"block {block_id} lifted")


@centers_group.command("blocklist")
@click.option("--province", "scope", default=None, help="Only blocks that apply to this province.")
@click.option("--json", "as_json", is_flag=True)
def centers_blocklist(scope: str | None, as_json: bool) -> None:
    """Blocks in force (numbers masked)."""
    rows = [b.to_dict() for b in platform_from_ctx().switch.blocklist.active(scope)]
    if as_json:
        echo_json(rows)
        return
    for d in rows:
        click.echo(f"{d['id']:>4} {d['number']:<14} {d['scope_name']:<8} until {d['expires_at'][:16]}  {d['reason']}")
