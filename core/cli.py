"""The `hotline` command. Each home adds its own group in `<home>/cli.py`; they are loaded lazily,
so `hotline --help` stays fast and a broken home does not break the others."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import click

from core.logging import configure as configure_logging
from core.optional import optional_import

# command name -> "module:attribute" of a click command or group in its home
DOMAIN_COMMANDS: dict[str, str] = {
    "call": "ivr.cli:call_command",
    "flow": "ivr.cli:flow_group",
    "prompts": "ivr.cli:prompts_group",
    "route": "switch.cli:route_command",
    "centers": "switch.cli:centers_group",
    "acd": "agents.cli:acd_group",
    "kb": "knowledge.cli:kb_group",
    "records": "records.cli:records_group",
    "sms": "sms.cli:sms_group",
    "asterisk": "ivr.asterisk.cli:asterisk_group",
    "bench": "bench.cli:bench_group",
    "recordings": "recordings.cli:recordings_group",
    "qa": "qa.cli:qa_group",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        for name, target in DOMAIN_COMMANDS.items():
            if _spec_exists(target.split(":")[0]):
                names.add(name)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in DOMAIN_COMMANDS:
            return cmd
        module_name, attr = DOMAIN_COMMANDS[name].split(":")
        module = optional_import(module_name)
        return getattr(module, attr, None) if module is not None else None


def _spec_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def platform_from_ctx(ctx: click.Context | None = None, migrate: bool = True) -> Any:
    """The node's Platform for a CLI command (built once per invocation, schema migrated)."""
    from core.platform import from_env

    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    if "platform" not in root.obj:
        platform = from_env()
        if migrate:
            platform.migrate()
        root.obj["platform"] = platform
        root.call_on_close(platform.close)
    return root.obj["platform"]


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
def main(verbose: bool) -> None:
    """12333 hotline platform: IVR, national switch, provincial queues, knowledge, records, SMS."""
    import logging

    configure_logging(logging.DEBUG if verbose else logging.WARNING)


@main.command()
@click.option("--demo", is_flag=True, help="Load the demo centers, users, knowledge and citizens.")
def init(demo: bool) -> None:
    """Create or migrate the database; with --demo, load demo data (idempotent)."""
    platform = platform_from_ctx()
    click.echo(f"database ready: {platform.db.engine.url.render_as_string(hide_password=True)}")
    if demo:
        from core.demo import load_demo

        summary = load_demo(platform)
        for line in summary:
            click.echo(line)


@main.command()
@click.option("--web-port", type=int, default=None, help="Override HOTLINE_WEB_PORT.")
@click.option("--agi-port", type=int, default=None, help="Override HOTLINE_AGI_PORT.")
@click.option("--no-demo-load", is_flag=True, help="Do not load demo data into an empty database.")
def serve(web_port: int | None, agi_port: int | None, no_demo_load: bool) -> None:
    """Start a node: web console, FastAGI listener, SMS dispatcher and timers. Ctrl-C stops it."""
    from core.node import run_node

    sys.exit(run_node(web_port=web_port, agi_port=agi_port, load_demo_if_empty=not no_demo_load))


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    platform_from_ctx()
    click.echo("schema is at the newest revision")


@main.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.option("--anchors", "anchors", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An anchor file kept elsewhere (default: $HOTLINE_DATA_DIR/audit-anchors.log).")
def audit_verify(anchors: Path | None) -> None:
    """Check the keyed hash chain and the anchors; exit 1 and name the entry when a row was edited,
    deleted or the chain rewritten."""
    result = platform_from_ctx().audit.verify(anchors)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries, {result.anchors_checked} anchors match")
        return
    click.echo(f"AUDIT CHAIN BROKEN at seq {result.broken_seq}: {result.reason}", err=True)
    sys.exit(1)


@audit.command("anchor")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append the anchor to this file instead of $HOTLINE_DATA_DIR/audit-anchors.log.")
def audit_anchor(output: Path | None) -> None:
    """Print the chain's head (seq, hash, key id) as one JSON line and append it to the anchor file.
    Store the line somewhere the database's administrators cannot write; nodes also anchor daily."""
    line = platform_from_ctx().audit.anchor(output)
    click.echo(json.dumps(line, sort_keys=True))


@audit.command("rekey")
@click.option("--yes", is_flag=True, help="Do not ask (stop every node first: they hold the old key).")
def audit_rekey(yes: bool) -> None:
    """Rotate the audit key: verify the chain with the current key, re-hash it with a new one and
    write the new key to $HOTLINE_DATA_DIR/secrets/audit_key (the old one is kept as audit_key.old)."""
    import os
    import secrets as token_source

    platform = platform_from_ctx()
    if os.environ.get("HOTLINE_AUDIT_KEY"):
        raise click.ClickException("HOTLINE_AUDIT_KEY is set: rotate it where it is kept, then run this with the "
                                   "old key set and the new one in HOTLINE_AUDIT_KEY_NEW")
    if not yes:
        click.confirm("Every node must be stopped. Re-key the audit chain now?", abort=True)
    path = platform.settings.data_dir / "secrets" / "audit_key"
    new_key = os.environ.get("HOTLINE_AUDIT_KEY_NEW") or token_source.token_urlsafe(32)
    try:
        count = platform.audit.rekey(new_key.encode())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if path.exists():
        os.replace(path, path.with_name("audit_key.old"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new_key)
    line = platform.audit.anchor()
    click.echo(f"re-keyed {count} entries; new key id {platform.audit.key_id}; anchor {json.dumps(line)}")


@audit.command("list")
@click.option("--limit", default=50, show_default=True)
@click.option("--subject", default=None, help="Whose record (citizen ID).")
@click.option("--action", default=None)
@click.option("--session", "session_id", default=None, help="Call or SMS session id.")
@click.option("--json", "as_json", is_flag=True)
def audit_list(limit: int, subject: str | None, action: str | None, session_id: str | None,
               as_json: bool) -> None:
    """List the newest audit entries (subjects masked)."""
    from core.masking import mask_id

    rows = platform_from_ctx().audit.entries(limit=limit, subject=subject, action=action,
                                             session_id=session_id)
    out = [{"seq": e.seq, "ts": e.ts.isoformat(), "actor": e.actor, "channel": e.channel,
            "session": e.session_id, "action": e.action, "subject": mask_id(e.subject),
            "fields": e.fields, "outcome": e.outcome} for e in rows]
    if as_json:
        echo_json(out)
        return
    for row in out:
        click.echo(f"{row['seq']:>6} {row['ts']} {row['actor']:<14} {row['channel']:<8} "
                   f"{row['action']:<22} {row['subject'] or '-':<20} {row['outcome']}")


@main.group()
def users() -> None:
    """Console users and integration tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--province", default="00", show_default=True, help="Province scope; 00 = national.")
@click.password_option()
def users_add(username: str, roles: tuple[str, ...], province: str, password: str) -> None:
    """Create a console user."""
    platform_from_ctx().accounts.create_user(username, password, list(roles), province_scope=province)
    click.echo(f"user {username} created")


@users.command("token")
@click.argument("username")
@click.option("--name", default="integration")
@click.option("--days", type=float, default=None, help="Days until it expires (default 90; 0 = never).")
@click.option("--scope", "scopes", multiple=True, help="Only this role of the user's (repeatable).")
def users_token(username: str, name: str, days: float | None, scopes: tuple[str, ...]) -> None:
    """Issue an API token for a user (shown once; only its hash is stored; audited)."""
    platform = platform_from_ctx()
    user = platform.accounts.by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    try:
        click.echo(platform.accounts.issue_token(user.id, name, days=days, scopes=list(scopes), actor="cli"))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("tokens")
@click.argument("username")
def users_tokens(username: str) -> None:
    """List a user's API tokens (id, name, expiry, scopes, revoked, last use)."""
    platform = platform_from_ctx()
    user = platform.accounts.by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    echo_json(platform.accounts.tokens(user.id))


@users.command("revoke-token")
@click.argument("token_id", type=int)
def users_revoke_token(token_id: int) -> None:
    """Revoke an API token by its id (see `hotline users tokens NAME`); audited."""
    try:
        changed = platform_from_ctx().accounts.revoke_token(token_id, actor="cli")
    except KeyError:
        raise click.ClickException(f"no token {token_id}") from None
    click.echo(f"token {token_id} revoked" if changed else f"token {token_id} was already revoked")


if __name__ == "__main__":
    main()
