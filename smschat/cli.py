"""`hotline smschat ...`: run a message through the conversation channel, list the keyword commands."""

from __future__ import annotations

import click

from core.clictx import echo_json, platform_from_ctx


@click.group("smschat")
def smschat_group() -> None:
    """SMS conversation channel: keyword commands, knowledge answers, record queries, callbacks."""


@smschat_group.command("inbound")
@click.option("--from", "sender", required=True, help="Sender's number.")
@click.option("--text", required=True)
@click.option("--provider", default="cli", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def inbound_command(sender: str, text: str, provider: str, as_json: bool) -> None:
    """Run a received message through the channel without a gateway and print the reply (queued in the
    outbox)."""
    result = platform_from_ctx().smschat.handle(sender, text, provider=provider)
    if as_json:
        echo_json({"reply": result.reply, "action": result.action, "inbound_id": result.inbound_id,
                   "outbox_ids": result.outbox_ids})
    else:
        click.echo(result.reply or "(no reply)")


@smschat_group.command("keywords")
@click.option("--json", "as_json", is_flag=True)
def keywords_command(as_json: bool) -> None:
    """The enabled keyword commands."""
    commands = sorted(platform_from_ctx().smschat.commands().values(), key=lambda c: c.keyword)
    if as_json:
        echo_json([{"keyword": c.keyword, "action": c.action, "reply": c.reply, "description": c.description}
                   for c in commands])
        return
    for c in commands:
        click.echo(f"{c.keyword:<6} {c.action:<14} {c.description}")
