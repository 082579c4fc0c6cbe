"""`hotline acd`: queue and agent status, and agent commands for demo operation.

Agent states live in the shared state store: with REDIS_URL set every command sees the same
queues as the running nodes; without it each command runs on its own in-process state."""

from __future__ import annotations

import click

from agents.domain import DISPOSITIONS, AcdError, QueuedCall
from core.clictx import echo_json, platform_from_ctx


def _acd():  # type: ignore[no-untyped-def]
    return platform_from_ctx().agents


def _agent_id(ref: str) -> int:
    """An agent by id or by console username."""
    if ref.isdigit():
        return int(ref)
    platform = platform_from_ctx()
    user = platform.accounts.by_username(ref)
    prof = platform.agents.agent_for_user(user.id) if user else None
    if prof is None:
        raise click.ClickException(f"no agent {ref}")
    return prof.id


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return fn(*args, **kwargs)
    except AcdError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


@click.group("acd")
def acd_group() -> None:
    """Provincial queues and agents (ACD)."""


def _node_stats(scope: str, node: str, token: str, timeout: float = 10.0) -> dict:
    """The running node's figures over its REST API (the node's own in-process state when there is no Redis)."""
    import requests

    province = "00" if scope == "national" else scope.removeprefix("center:")
    if not province.isdigit():
        raise click.ClickException("without REDIS_URL only national or a center code can be asked from the node")
    try:
        resp = requests.get(f"{node.rstrip('/')}/api/v1/supervisor/wallboard", params={"province": province},
                            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                            timeout=timeout)
    except requests.RequestException as exc:
        raise click.ClickException(f"node {node} unreachable: {type(exc).__name__}") from None
    if resp.status_code != 200:
        raise click.ClickException(f"node {node} answered HTTP {resp.status_code}: {resp.text[:200]}")
    return resp.json()["stats"]  # type: ignore[no-any-return]


@acd_group.command("status")
@click.option("--scope", default="national", show_default=True,
              help="national, a center code (44) or a queue id (44-pension).")
@click.option("--node", default=None, envvar="HOTLINE_NODE_URL",
              help="A running node's URL (default: HOTLINE_PUBLIC_URL); asked when there is no REDIS_URL.")
@click.option("--token", default=None, envvar="HOTLINE_API_TOKEN",
              help="A supervisor's API token (`hotline users token NAME`) for --node.")
@click.option("--json", "as_json", is_flag=True)
def acd_status(scope: str, node: str | None, token: str | None, as_json: bool) -> None:
    """Live figures: waiting, longest wait, agents by state, SL, ASA, AHT, abandonment.

    With REDIS_URL they are read from the shared state; without it a node's state lives in its own process,
    so they are asked from the running node's API (--node, --token)."""
    platform = platform_from_ctx()
    note = ""
    if token and not platform.settings.redis_url:
        s = _node_stats(scope if scope == "national" or ":" in scope else f"center:{scope}",
                        node or platform.settings.public_url, token)
    else:
        s = _acd().stats(scope)
        if not platform.settings.redis_url:
            note = ("(no REDIS_URL: these are this command's own in-process figures; a running node's are asked "
                    "with --token, a supervisor's API token from `hotline users token NAME`, and --node URL)")
    if as_json:
        echo_json(s)
        return
    pct = lambda v: "-" if v is None else f"{v * 100:.1f}%"  # noqa: E731
    click.echo(f"{s['scope']}: waiting {s['waiting']} (longest {s['longest_wait']}s), agents {s['agents_by_state']}")
    click.echo(f"  offered {s['offered']} answered {s['answered']} abandoned {s['abandoned']} "
               f"SL({s['sl_threshold']}s) {pct(s['service_level'])} ASA {s['asa'] or '-'}s "
               f"AHT {s['aht'] or '-'}s abandonment {pct(s['abandonment_rate'])}")
    if note:
        click.echo(note, err=True)


@acd_group.command("check")
def acd_check() -> None:
    """Whether calls and agents agree (no call with two agents, no agent with two calls), read in one
    snapshot of the shared state (REDIS_URL); exits 1 and names each fault when they do not."""
    from agents.consistency import check

    faults = check(platform_from_ctx().store)
    for fault in faults:
        click.echo(fault)
    if faults:
        raise SystemExit(1)
    click.echo("calls and agents agree")


@acd_group.command("agents")
@click.option("--center", default=None)
@click.option("--live", is_flag=True, help="Only logged-in agents, with their state.")
def acd_agents(center: str | None, live: bool) -> None:
    """Agent profiles (or live states)."""
    acd = _acd()
    if live:
        for a in acd.agents_live(center):
            click.echo(f"{a.agent_id:>5} {a.name:<16} {a.center_code} {a.state:<10} {a.reason:<10} "
                       f"{a.call_id or ''}")
        return
    for p in acd.profiles(center):
        click.echo(f"{p.id:>5} {p.name:<16} {p.center_code} L{p.level} {','.join(p.skills):<40} "
                   f"{'/'.join(p.languages):<6} {p.endpoint}")


@acd_group.command("login")
@click.argument("agent")
def acd_login(agent: str) -> None:
    """Log an agent in (not ready until `acd ready`)."""
    st = _run(_acd().login, _agent_id(agent))
    click.echo(f"agent {st.agent_id} {st.state} ({st.reason})")


@acd_group.command("ready")
@click.argument("agent")
def acd_ready(agent: str) -> None:
    st = _run(_acd().set_ready, _agent_id(agent))
    click.echo(f"agent {st.agent_id} {st.state}{' offered ' + st.call_id if st.call_id else ''}")


@acd_group.command("not-ready")
@click.argument("agent")
@click.option("--reason", default="break", show_default=True)
def acd_not_ready(agent: str, reason: str) -> None:
    st = _run(_acd().set_not_ready, _agent_id(agent), reason)
    click.echo(f"agent {st.agent_id} {st.state} ({st.reason})")


@acd_group.command("logout")
@click.argument("agent")
def acd_logout(agent: str) -> None:
    _run(_acd().logout, _agent_id(agent))
    click.echo("logged out")


@acd_group.command("accept")
@click.argument("agent")
@click.argument("call_id", required=False)
def acd_accept(agent: str, call_id: str | None) -> None:
    """Accept the call offered to the agent."""
    acd = _acd()
    agent_id = _agent_id(agent)
    st = acd.agent_status(agent_id)
    call_id = call_id or (st.call_id if st else None)
    if not call_id:
        raise click.ClickException("no call offered to this agent")
    status = _run(acd.accept, agent_id, call_id)
    ctx = acd.call_context(call_id) or {}
    click.echo(f"connected {call_id} ({ctx.get('queue_id')}, caller {ctx.get('caller_masked') or '-'})")
    click.echo(f"  journey {' → '.join(ctx.get('journey', []))}; endpoint {status.agent_endpoint}")


@acd_group.command("hangup")
@click.argument("call_id")
def acd_hangup(call_id: str) -> None:
    """End a connected call (the agent goes to wrap-up); a call still waiting or offered is abandoned."""
    acd = _acd()
    if acd.call_status(call_id) is None:
        raise click.ClickException(f"no call {call_id}")
    acd.end_call(call_id)
    after = acd.call_status(call_id)
    click.echo(f"{call_id} {after.state if after is not None else 'ended'}")


@acd_group.command("wrap-up")
@click.argument("agent")
@click.option("--disposition", type=click.Choice(sorted(DISPOSITIONS)), default="resolved", show_default=True)
@click.option("--notes", default="")
def acd_wrap_up(agent: str, disposition: str, notes: str) -> None:
    st = _run(_acd().wrap_up, _agent_id(agent), disposition, notes)
    click.echo(f"agent {st.agent_id} {st.state}")


@acd_group.command("enqueue")
@click.argument("queue_id")
@click.option("--call-id", required=True)
@click.option("--from", "caller", default=None)
@click.option("--priority", default=0, show_default=True)
def acd_enqueue(queue_id: str, call_id: str, caller: str | None, priority: int) -> None:
    """Put a test call in a queue (demo operation)."""
    acd = _acd()
    center, _, topic = queue_id.partition("-")
    st = _run(acd.enqueue, QueuedCall(call_id=call_id, queue_id=queue_id, center_code=center, topic=topic,
                                      priority=priority, caller=caller, context={"channel": "cli"}))
    click.echo(f"{call_id} {st.state} {st.text_zh}{' agent ' + str(st.agent_id) if st.agent_id else ''}")


@acd_group.command("tick")
def acd_tick() -> None:
    """Run the timers once (ring-no-answer, wrap-up, overflow, interval statistics)."""
    _acd().tick()
    click.echo("tick done")


@acd_group.command("callbacks")
@click.option("--status", default="pending", show_default=True)
@click.option("--center", default=None)
@click.option("--dial", "dial_id", type=int, default=None, help="Queue this callback for an agent.")
def acd_callbacks(status: str, center: str | None, dial_id: int | None) -> None:
    """The missed-call callback list."""
    acd = _acd()
    if dial_id is not None:
        st = _run(acd.dial_callback, dial_id)
        click.echo(f"callback {dial_id} queued as {st.call_id} ({st.state})")
        return
    for cb in acd.callbacks(status=status, center_code=center):
        click.echo(f"{cb['id']:>5} {cb['kind']:<12} {cb['queue_id']:<20} {cb['number_masked']:<14} "
                   f"waited {cb['waited_seconds']}s {cb['created_at']}")


@acd_group.command("call")
@click.argument("call_id")
def acd_call(call_id: str) -> None:
    """A call's state, position and context (caller masked)."""
    acd = _acd()
    status = acd.call_status(call_id)
    if status is None:
        raise click.ClickException(f"no call {call_id}")
    echo_json({"status": status.to_dict(), "context": acd.call_context(call_id)})

