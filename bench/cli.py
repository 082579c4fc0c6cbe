"""`hotline bench AREA`: each area's benchmark lives in `bench/<area>.py` as a click command named
`command`; `hotline bench all` runs every one with its default (CI-sized) parameters."""

from __future__ import annotations

import importlib
import os
import platform as pyplatform

import click

AREAS = ("ivr", "acd", "kb", "records", "agi", "sms", "sse", "twilio", "asterisk", "speech")


def machine_line() -> str:
    return (f"machine: {os.cpu_count()} cores, Python {pyplatform.python_version()}, "
            f"{pyplatform.system()} {pyplatform.machine()}")


class BenchGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*AREAS, "all"]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "all":
            return run_all
        if name not in AREAS:
            return None
        return importlib.import_module(f"bench.{name}").command  # type: ignore[no-any-return]


@click.group(cls=BenchGroup)
def bench_group() -> None:
    """Benchmarks: each prints its figures and the machine it ran on."""


@click.command("all")
@click.pass_context
def run_all(ctx: click.Context) -> None:
    """Run every benchmark with its default parameters."""
    click.echo(machine_line())
    group = ctx.parent.command if ctx.parent else bench_group
    for name in group.list_commands(ctx):
        if name == "all":
            continue
        cmd = group.get_command(ctx, name)
        if cmd is not None:
            click.echo(f"\n== bench {name} ==")
            ctx.invoke(cmd)
