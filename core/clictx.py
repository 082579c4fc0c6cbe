"""What a home's CLI group needs from the `hotline` command without knowing the composition root:
the node's Platform for this invocation and JSON output.

The root command (`hotline.cli:main`) puts a platform factory into the click context
(`ctx.obj["make_platform"]`, a callable `(settings=None, **kwargs) -> Platform`); a group invoked on
its own (tests) is given one with `obj={"make_platform": ...}`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

FACTORY_KEY = "make_platform"


def platform_factory(ctx: click.Context | None = None) -> Callable[..., Any]:
    """The composition root's platform factory, from the root context."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    factory = root.obj.get(FACTORY_KEY) if isinstance(root.obj, dict) else None
    if factory is None:
        raise click.UsageError("no platform factory in the click context: run this command through `hotline` "
                               f"(or invoke it with obj={{{FACTORY_KEY!r}: ...}})")
    return factory  # type: ignore[no-any-return]


def platform_from_ctx(ctx: click.Context | None = None, migrate: bool = True) -> Any:
    """The node's Platform for a CLI command (built once per invocation, schema migrated)."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    if "platform" not in root.obj:
        platform = platform_factory(ctx)()
        if migrate:
            platform.migrate()
        root.obj["platform"] = platform
        root.call_on_close(platform.close)
    return root.obj["platform"]


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
