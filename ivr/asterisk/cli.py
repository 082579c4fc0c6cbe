"""`hotline asterisk ...`: operator checks of the Asterisk link (registered in hotline/homes.py as the
IVR home's `asterisk` command)."""

from __future__ import annotations

import asyncio
import json

import click

from ivr.asterisk.ami import AMIClient
from ivr.asterisk.ami_protocol import AMIError
from ivr.asterisk.config import AmiSettings


@click.group("asterisk")
def asterisk_group() -> None:
    """Check the Asterisk link (AMI login, version, channels) and the softphone states seen."""


async def _check(host: str, port: int, username: str, secret: str, auth: str, timeout: float) -> dict:
    client = AMIClient(host, port, username, secret, auth=auth, events="off", ping_interval=0,
                       connect_timeout=timeout, action_timeout=timeout)
    await client.start()
    try:
        try:
            await client.wait_connected(timeout)
        except TimeoutError:
            return {"ok": False, "error": client.last_error or "no answer"}
        pong = await client.action("Ping")
        version = await client.command("core show version")
        _, channels = await client.action_list("CoreShowChannels")
        return {"ok": True, "banner": client.banner, "ping": pong.get("Ping"),
                "version": version[0] if version else "", "channels": len(channels)}
    except AMIError as exc:
        return {"ok": False, "error": str(exc)}
    finally:
        await client.stop()


@asterisk_group.command("check")
@click.option("--timeout", default=5.0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def check(ctx: click.Context, timeout: float, as_json: bool) -> None:
    """Log in to AMI with the node's settings; print the version and the number of channels."""
    from core.clictx import platform_from_ctx

    ami = AmiSettings.of(platform_from_ctx(ctx, migrate=False).settings)
    if not ami.host:
        raise click.ClickException("HOTLINE_AMI_HOST is not set: this node does not use AMI")
    result = asyncio.run(_check(ami.host, ami.port, ami.username or "", ami.secret or "", ami.auth, timeout))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    elif result["ok"]:
        click.echo(f"AMI {ami.host}:{ami.port}: {result['banner']}; {result['version']}; "
                   f"{result['channels']} channels")
    else:
        click.echo(f"AMI {ami.host}:{ami.port}: FAILED: {result['error']}")
    if not result["ok"]:
        ctx.exit(1)


async def _device_states(host: str, port: int, username: str, secret: str, auth: str,
                         timeout: float) -> dict[str, str]:
    """Asterisk's own view of the softphones (AMI DeviceStateList), as the AMI side maps them."""
    from ivr.asterisk.control import DEVICE_STATES

    client = AMIClient(host, port, username, secret, auth=auth, events="off", ping_interval=0,
                       connect_timeout=timeout, action_timeout=timeout)
    await client.start()
    try:
        await client.wait_connected(timeout)
        _, items = await client.action_list("DeviceStateList")
        return {m.get("Device") or "": DEVICE_STATES.get(m.get("State") or "", "offline") for m in items
                if (m.get("Device") or "").startswith(("PJSIP/", "SIP/", "IAX2/"))}
    finally:
        await client.stop()


@asterisk_group.command("devices")
@click.option("--timeout", default=5.0, show_default=True)
@click.pass_context
def devices(ctx: click.Context, timeout: float) -> None:
    """The agents' softphone states: from the shared state (Redis) the nodes' AMI clients keep, or, without
    Redis (each node's state is in its own process), asked from Asterisk over AMI."""
    from core.clictx import platform_from_ctx

    platform = platform_from_ctx(ctx)
    settings = platform.settings
    ami = AmiSettings.of(settings)
    states = platform.store.hgetall("asterisk:devices") if settings.redis_url else {}
    source = "shared state"
    if not states and ami.host:
        try:
            states = asyncio.run(_device_states(ami.host, ami.port, ami.username or "", ami.secret or "",
                                                ami.auth, timeout))
        except (AMIError, TimeoutError, OSError) as exc:
            raise click.ClickException(f"AMI {ami.host}:{ami.port}: {exc or 'no answer'}") from exc
        source = "Asterisk (AMI DeviceStateList)"
    if not states:
        click.echo("no softphone state seen yet (set HOTLINE_AMI_* to ask Asterisk, or REDIS_URL to read the "
                   "nodes' shared state)")
        return
    click.echo(f"from {source}:")
    for endpoint, state in sorted(states.items()):
        click.echo(f"{endpoint:<24} {state}")


@asterisk_group.command("setup")
@click.option("--sounds", "sounds", type=click.Path(file_okay=False), default=None,
              help="Asterisk's sounds directory (default: <astdatadir>/sounds of --asterisk-conf, "
                   "else /var/lib/asterisk/sounds).")
@click.option("--asterisk-conf", "asterisk_conf", type=click.Path(dir_okay=False),
              default="/etc/asterisk/asterisk.conf", show_default=True)
@click.option("--lang", "langs", multiple=True, type=click.Choice(["zh", "en"]), default=("zh",),
              show_default=True, help="Languages to render (the first one also goes to the language-neutral folder).")
@click.pass_context
def setup(ctx: click.Context, sounds: str | None, asterisk_conf: str, langs: tuple[str, ...]) -> None:
    """Render the dialplan's safety-net prompts (fallback notice, "please call again") into Asterisk's sounds."""
    from pathlib import Path

    from core.clictx import platform_from_ctx
    from ivr.asterisk.setup import DEFAULT_SOUNDS, render_safety_net, sounds_dir_from_conf
    from ivr.speech import SpeechUnavailable, speech_of

    folder = Path(sounds) if sounds else (sounds_dir_from_conf(Path(asterisk_conf)) or DEFAULT_SOUNDS)
    speech = speech_of(platform_from_ctx(ctx, migrate=False))
    try:
        written = render_safety_net(speech, folder, langs)
    except (SpeechUnavailable, OSError) as exc:
        raise click.ClickException(f"could not render the safety-net prompts into {folder}: {exc}") from exc
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} file(s): the example dialplan's [hotline-fallback] and [hotline-callback] play them")
