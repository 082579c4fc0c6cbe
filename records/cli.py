"""`hotline records ...`: the demo citizens, an audited masked look-up, the read-only check,
issuing an initial service password at a counter, and lifting a lockout."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import click

from core.clictx import echo_json, platform_from_ctx
from core.masking import mask_id


@click.group("records")
def records_group() -> None:
    """Insurance record look-ups (read-only core system), identity verification, audit."""


@records_group.command("demo-citizens")
def demo_citizens() -> None:
    """List the fixed demo citizens (demo data only; these are not real people)."""
    from records.demo_citizens import DEMO_CITIZENS

    for c in DEMO_CITIZENS:
        click.echo(f"{c.id_number}  {c.name}  password {c.password or '(none: SMS code)'}  mobile {c.mobile}  "
                   f"{c.city}  {c.scenario}")


def _cli_user(platform, username: str | None):  # type: ignore[no-untyped-def]
    if username:
        user = platform.accounts.by_username(username)
        if user is None:
            raise click.ClickException(f"no console user {username!r}")
        return user
    # the operator at the terminal: national scope, never reveals, audited as "agent:cli"
    return SimpleNamespace(id="cli", username="cli", province_scope="00", can_see_province=lambda _c: True,
                           has_role=lambda *_r: False)


@records_group.command("lookup")
@click.argument("id_number")
@click.option("--reason", required=True, help="Why you look this person up (written to the audit log).")
@click.option("--as-user", "username", default=None, help="Console user whose scope applies.")
@click.option("--json", "as_json", is_flag=True)
def lookup(id_number: str, reason: str, username: str | None, as_json: bool) -> None:
    """Look up one person's record (audited, masked)."""
    platform = platform_from_ctx()
    outcome = platform.records.agent_view(_cli_user(platform, username), id_number, call_id=None, reason=reason,
                                          channel="cli")
    if as_json:
        echo_json({"status": outcome.status, "speech": outcome.speech, "record": outcome.fields})
    else:
        click.echo(f"{outcome.status}: {outcome.speech}")
        for section, value in outcome.fields.items():
            click.echo(f"[{section}]")
            rows = value if isinstance(value, list) else [value]
            for row in rows:
                click.echo(f"  {row}")
    if not outcome.ok:
        sys.exit(1)


@records_group.command("check-readonly")
def check_readonly() -> None:
    """Prove that the core-system connection refuses writes (exit 1 if it does not)."""
    from records.connector import CoreUnavailable

    platform = platform_from_ctx()
    svc = platform.records
    try:
        report = svc.core.check_readonly(svc.reader.mapping.probe_table)
    except CoreUnavailable as down:
        click.echo(f"core system unavailable ({down.reason}): {down.detail}", err=True)
        sys.exit(2)
    click.echo(f"backend: {report.backend}; rows in {svc.reader.mapping.probe_table}: {report.rows_in_probe}")
    if report.read_only:
        click.echo(f"read-only: yes (write refused: {report.write_error})")
        return
    click.echo("READ-ONLY: NO - the connection accepted a write (rolled back). Fix the role/URL.", err=True)
    sys.exit(1)


@records_group.command("issue-password")
@click.argument("id_number")
def issue_password(id_number: str) -> None:
    """Issue a random initial service password at a counter (shown once, must be changed)."""
    from core import citizen_id
    from records.passwords import generate_initial

    platform = platform_from_ctx()
    try:
        cid = citizen_id.parse(id_number)
    except citizen_id.InvalidCitizenId as bad:
        raise click.ClickException(bad.message) from None
    password = generate_initial(cid.birth_date, cid.number)
    platform.records.passwords.set(cid.number, password, source="counter", must_change=True)
    platform.audit.record(actor="user:cli", channel="cli", action="record.password_issue", outcome="ok",
                          subject=cid.number)
    click.echo(f"initial service password for {mask_id(cid.number)}: {password} (must be changed on first use)")


@records_group.command("unlock")
@click.argument("id_number")
def unlock(id_number: str) -> None:
    """Lift a self-service lockout before it expires (audited)."""
    from core import citizen_id

    platform = platform_from_ctx()
    number = citizen_id.normalise(id_number)
    platform.records.state.unlock(number)
    platform.audit.record(actor="user:cli", channel="cli", action="record.unlock", outcome="ok", subject=number)
    click.echo(f"unlocked {mask_id(number)}")
