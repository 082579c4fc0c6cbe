"""`hotline bench asterisk`: calls through a real Asterisk 22 into a real node.

A private Asterisk (ivr/asterisk/lab.py: the example configuration on loopback ports) and a `hotline
serve` node with HOTLINE_AMI_* pointed at it. N calls are originated over AMI at R per second as
`Local/12333@from-national` (the example dialplan's entry), each caller staying on the line for
`--talk-s` seconds through the welcome prompts and hanging up. Figures: set-up latency = AMI
Originate sent → the node's first AGI command on that call (the AGIExecStart event), p50/p99; the
node's CPU per call (user + system of the node's processes over the run, divided by the calls);
failures (Originate failed, no AGI within 30 s, a prompt that did not play); and "prompts audible":
every 10th caller records what it hears (MixMonitor) and sox measures it.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from bench.cli import machine_line

CALLER = """
[hl-bench-caller]
exten => s,1,GotoIf($["${HL_REC}" = ""]?wait)
 same => n,MixMonitor(${HL_REC})
 same => n(wait),Wait(${HL_TALK})
 same => n,Hangup()
"""


def _node_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the node: its gunicorn arbiter and every child (the worker)."""
    total = 0.0
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return total


def _sox_rms(path: Path) -> float:
    """`sox FILE -n stat`: the RMS amplitude (full scale 1.0) of what the caller heard."""
    err = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    m = re.search(r"^RMS\s+amplitude:\s+([\d.]+)", err, re.M)
    return float(m.group(1)) if m else 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _prepare(data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL")}
    env.update(HOTLINE_DATA_DIR=str(data), HOTLINE_DEMO="1")
    subprocess.run([sys.executable, "-m", "hotline.cli", "init", "--demo"], env=env, check=True,
                   capture_output=True, timeout=900)


def run(calls: int, rate: float, talk_s: float, record_every: int, workdir: Path) -> dict[str, object]:
    from ivr.asterisk.lab import AsteriskLab, LabConfig, NodeProcess, SyncAMI, find_prefix, free_port, generate

    prefix = find_prefix()
    if prefix is None:
        raise click.ClickException("no Asterisk 22 (/opt/ast22 or $ASTERISK_PREFIX; scripts/install-system-deps "
                                   "installs it from ../shared/asterisk/dist)")
    agi_port, web_port = free_port(), free_port()
    click.echo("preparing the node's data (demo) ...")
    _prepare(workdir / "node")
    cfg = generate(LabConfig(workdir / "lab", prefix=prefix, agi_url=f"agi://127.0.0.1:{agi_port}/12333",
                             extra_dialplan=CALLER))
    lab = AsteriskLab(cfg).start()
    node = ami = None
    try:
        node = NodeProcess(workdir / "node", cfg, web_port=web_port, agi_port=agi_port).start()
        ami = SyncAMI(cfg.ami_port, cfg.lab_username, cfg.ami_secret)
        for event in ("Newchannel", "AGIExecStart", "OriginateResponse", "Hangup"):  # only what is measured
            ami.action("Filter", Operation="Add", Filter=f"Event: {event}")
        assert node.proc is not None
        # the node renders the static prompts at start: one warm-up call makes sure they are ready
        _originate(ami, "warm", 3.0, None)
        ami.wait_event(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "warm-1", timeout=120)
        time.sleep(1.0)
        messages_before = len(lab.messages())
        cpu0 = _node_cpu_s(node.proc.pid)
        sent: dict[str, float] = {}
        first_index = len(ami.events)
        click.echo(f"originating {calls} calls at {rate:g}/s, each caller listening {talk_s:g} s ...")
        start = time.monotonic()
        recs: list[Path] = []
        for i in range(calls):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            rec = workdir / f"rec-{i}.wav" if record_every and i % record_every == 0 else None
            if rec:
                recs.append(rec)
            sent[f"b{i}"] = time.time()   # compared with the events' Timestamp (Asterisk's clock, same host)
            ami.send("Originate", Channel="Local/12333@from-national", Context="hl-bench-caller", Exten="s",
                     Priority=1, CallerID='"" <13800138000>', ChannelId=f"b{i}-1", OtherChannelId=f"b{i}-2",
                     Variable=[f"HL_TALK={talk_s:g}", f"HL_REC={rec or ''}"], Async="true")
        originate_s = time.monotonic() - start
        # wait until every call is over (or 60 s past the last expected end)
        deadline = time.monotonic() + talk_s + 90
        while time.monotonic() < deadline and ami.channels():
            time.sleep(1.0)
        cpu = _node_cpu_s(node.proc.pid) - cpu0
        first: dict[str, float] = {}
        created: dict[str, float] = {}
        prompt: dict[str, float] = {}
        failed_originate = 0
        for _, m in ami.events[first_index:]:
            uid = m.get("Uniqueid") or ""
            t = float(m.get("Timestamp") or "nan")  # Asterisk's time; never the arrival here
            if m.event == "AGIExecStart" and uid.endswith("-2"):
                first.setdefault(uid[:-2], t)
                if m.get("Command", "").upper().startswith(("STREAM FILE", "GET DATA")):
                    prompt.setdefault(uid[:-2], t)
            elif m.event == "Newchannel" and uid.endswith("-1"):
                created.setdefault(uid[:-2], t)
            elif m.event == "OriginateResponse" and m.get("Response") == "Failure":
                failed_originate += 1
        first = {k: v for k, v in first.items() if v == v}  # drop events without a Timestamp (nan)
        latencies = [(first[k] - sent[k]) * 1000 for k in sent if k in first]
        to_channel = [(created[k] - sent[k]) * 1000 for k in sent if k in created]
        to_prompt = [(prompt[k] - first[k]) * 1000 for k in sent if k in prompt and k in first]
        no_agi = sum(1 for k in sent if k not in first)
        log = lab.messages()[messages_before:]
        playback_failed = len(re.findall(r"Playback failed|does not exist in any format|Unable to open", log))
        audible = [_sox_rms(rec) for rec in recs if rec.exists() and rec.stat().st_size > 44]
        return {
            "calls": calls, "rate": rate, "originate_s": originate_s,
            "p50": statistics.median(latencies) if latencies else float("nan"), "p99": _pct(latencies, 0.99),
            "max": max(latencies) if latencies else float("nan"),
            "channel_p50": statistics.median(to_channel) if to_channel else float("nan"),
            "prompt_p50": statistics.median(to_prompt) if to_prompt else float("nan"),
            "prompt_p99": _pct(to_prompt, 0.99),
            "cpu_ms_per_call": cpu / calls * 1000, "failed_originate": failed_originate, "no_agi": no_agi,
            "playback_failed": playback_failed, "recorded": len(audible),
            "audible": sum(1 for rms in audible if rms > 0.01),
            "rms_median": statistics.median(audible) if audible else 0.0,
        }
    finally:
        if ami is not None:
            ami.close()
        if node is not None:
            node.stop()
        lab.stop()


def _originate(ami, name: str, talk_s: float, rec: Path | None) -> None:  # type: ignore[no-untyped-def]
    ami.action("Originate", Channel="Local/12333@from-national", Context="hl-bench-caller", Exten="s", Priority=1,
               CallerID='"" <13800138000>', ChannelId=f"{name}-1", OtherChannelId=f"{name}-2",
               Variable=[f"HL_TALK={talk_s:g}", f"HL_REC={rec or ''}"], Async="true")


@click.command("asterisk")
@click.option("--calls", default=50, show_default=True)
@click.option("--rate", default=10.0, show_default=True, help="calls originated per second")
@click.option("--talk-s", default=15.0, show_default=True, help="how long each caller stays (welcome prompts)")
@click.option("--record-every", default=10, show_default=True, help="record every Nth caller (0: none)")
@click.option("--keep", is_flag=True, help="keep the work directory (logs, recordings)")
def command(calls: int, rate: float, talk_s: float, record_every: int, keep: bool) -> None:
    """Calls through a real Asterisk 22 into a node: set-up latency, node CPU per call, failures."""
    from ivr.asterisk.lab import find_prefix

    click.echo(machine_line())
    if find_prefix() is None:
        click.echo("skipped: no Asterisk 22 installed (/opt/ast22 or $ASTERISK_PREFIX)")
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-asterisk-"))
    try:
        r = run(calls, rate, talk_s, record_every, workdir)
    finally:
        if keep:
            click.echo(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    failures = int(r["failed_originate"]) + int(r["no_agi"]) + int(r["playback_failed"])
    click.echo(f"calls {r['calls']} at {r['rate']:g}/s (originated in {r['originate_s']:.1f} s); "
               f"load average {os.getloadavg()[0]:.1f}")
    click.echo(f"set-up latency (Originate -> first AGI command): p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms, "
               f"max {r['max']:.0f} ms")
    click.echo(f"  of which Originate -> channel created p50 {r['channel_p50']:.0f} ms; first AGI command -> "
               f"first prompt p50 {r['prompt_p50']:.0f} ms, p99 {r['prompt_p99']:.0f} ms")
    click.echo(f"node CPU per call: {r['cpu_ms_per_call']:.1f} ms")
    click.echo(f"failures: {failures} (Originate failed {r['failed_originate']}, no AGI {r['no_agi']}, "
               f"prompt not played {r['playback_failed']})")
    click.echo(f"prompts audible: {r['audible']}/{r['recorded']} recorded callers (sox RMS median "
               f"{r['rms_median']:.3f})")
