"""The `hotline` command. Each home adds its own commands in its `cli` module, named in the registry
(hotline/homes.py); they are imported lazily, so `hotline --help` stays fast, but a command the
registry names and that does not load stops with a RegistryError. `hotline bench` is a developer tool
that runs from a checkout only (`bench/` is not shipped)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from core.clictx import FACTORY_KEY, echo_json, platform_from_ctx
from core.logging import configure as configure_logging
from hotline import homes

__all__ = ["echo_json", "main", "platform_from_ctx"]

BENCH = "bench.cli:bench_group"  # a checkout's developer tool, not a home


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx)) | set(homes.commands())
        if _bench_present():
            names.add("bench")
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        if name in homes.commands():
            return homes.load_command(name)  # type: ignore[no-any-return]
        if name == "bench":
            return _bench_command()
        return None


def _checkout_root() -> Path | None:
    """The source checkout this package runs from (editable install or `python -m hotline.cli`), if
    it has the developer tools: `bench/` and the test tree with its emulators."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "bench" / "cli.py").is_file() and (root / "tests" / "__init__.py").is_file() else None


def _bench_present() -> bool:
    return _checkout_root() is not None


def _bench_command() -> click.Command:
    root = _checkout_root()
    if root is None:
        @click.command("bench", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
        def missing() -> None:
            """Benchmarks (only in a source checkout)."""
            raise click.ClickException("`hotline bench` runs from a source checkout: the bench/ package and the "
                                       "test-tree emulators it drives are not installed with the platform")

        return missing
    import importlib

    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # bench/ and tests/ are not installed: found in the checkout
    module, _, attr = BENCH.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
def main(verbose: bool) -> None:
    """12333 hotline platform: IVR, national switch, provincial queues, knowledge, records, SMS."""
    import logging

    from hotline.platform import make_platform

    configure_logging(logging.DEBUG if verbose else logging.WARNING)
    ctx = click.get_current_context()
    ctx.ensure_object(dict)
    ctx.obj.setdefault(FACTORY_KEY, make_platform)


@main.command()
@click.option("--demo", is_flag=True, help="Load the demo centers, users, knowledge and citizens.")
def init(demo: bool) -> None:
    """Create or migrate the database; with --demo, load demo data (idempotent)."""
    platform = platform_from_ctx()
    click.echo(f"database ready: {platform.db.engine.url.render_as_string(hide_password=True)}")
    if demo:
        from hotline.demo import load_demo

        summary = load_demo(platform)
        for line in summary:
            click.echo(line)


@main.command()
@click.option("--web-port", type=int, default=None, help="Override HOTLINE_WEB_PORT.")
@click.option("--agi-port", type=int, default=None, help="Override HOTLINE_AGI_PORT.")
@click.option("--no-demo-load", is_flag=True, help="Do not load demo data into an empty database.")
def serve(web_port: int | None, agi_port: int | None, no_demo_load: bool) -> None:
    """Start a node: web console, FastAGI listener, SMS dispatcher and timers. Ctrl-C stops it."""
    from hotline.node import run_node

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
@click.option("--new-key", envvar="HOTLINE_AUDIT_KEY_NEW", default=None, show_envvar=True,
              help="The new key (default: a random one).")
def audit_rekey(yes: bool, new_key: str | None) -> None:
    """Rotate the audit key: verify the chain with the current key, re-hash it with a new one and
    write the new key to $HOTLINE_DATA_DIR/secrets/audit_key (the old one is kept as audit_key.old)."""
    import os
    import secrets as token_source

    platform = platform_from_ctx()
    path = platform.settings.data_dir / "secrets" / "audit_key"
    kept = path.read_text(encoding="utf-8").strip() if path.exists() else None
    if kept != platform.settings.audit_key:
        raise click.ClickException("the audit key is set from the environment (HOTLINE_AUDIT_KEY), not kept in "
                                   f"{path}: rotate it where it is kept")
    if not yes:
        click.confirm("Every node must be stopped. Re-key the audit chain now?", abort=True)
    new_key = new_key or token_source.token_urlsafe(32)
    try:
        count = platform.audit.rekey(new_key.encode())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
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
