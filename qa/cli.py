"""`hotline qa forms|sample|report`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from core.clictx import echo_json, platform_from_ctx
from qa.service import REPORT_GROUPS


def _qa() -> Any:
    return platform_from_ctx().qa


@click.group("qa")
def qa_group() -> None:
    """Quality review of recorded calls."""


@qa_group.command("forms")
@click.option("--add", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Create a form from YAML: {name, province, criteria: [{key, label, weight, critical}]}.")
@click.option("--province", default=None)
@click.option("--json", "as_json", is_flag=True)
def forms_command(path: Path | None, province: str | None, as_json: bool) -> None:
    """List scoring forms, or add one."""
    qa = _qa()
    if path is not None:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        try:
            form = qa.create_form(data.get("name", ""), data.get("criteria") or [],
                                  province=str(data.get("province", "00")), actor="cli")
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"form {form['id']} created: {form['name']}")
        return
    forms = qa.forms(province)
    if not forms:
        forms = [qa.ensure_default_form()]
    if as_json:
        echo_json(forms)
        return
    for f in forms:
        click.echo(f"{f['id']:>4}  {f['province']}  {f['name']}{'' if f['active'] else '  (inactive)'}")
        for c in f["criteria"]:
            click.echo(f"        {c['key']:<12} {c['weight']:>5g}  {'CRITICAL ' if c['critical'] else ''}{c['label']}")


@qa_group.command("sample")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W49 (default: this week, Beijing time).")
@click.option("--province", default=None)
@click.option("--rate", type=float, default=None, help="Share of each agent's calls (default 0.02).")
@click.option("--min", "minimum", type=int, default=None, help="At least this many per agent (default 2).")
def sample_command(week: str | None, province: str | None, rate: float | None, minimum: int | None) -> None:
    """Queue the week's random sample per agent plus flagged calls."""
    plan = _qa().sample(week, province=province, rate=rate, minimum=minimum, actor="cli")
    parts = ", ".join(f"{k}: {v}" for k, v in sorted(plan.summary().items())) or "nothing new"
    click.echo(f"{plan.week}: queued {len(plan.picks)} review(s) ({parts})")


@qa_group.command("report")
@click.option("--by", "group", type=click.Choice(REPORT_GROUPS), default="agent", show_default=True)
@click.option("--province", default=None)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
def report_command(group: str, province: str | None, as_csv: bool) -> None:
    """Completed reviews per week and agent, team (queue), province or criterion."""
    qa = _qa()
    rows = qa.report(group, province=province)
    if as_csv:
        click.echo(qa.to_csv(rows), nl=False)
        return
    if not rows:
        click.echo("no completed reviews")
        return
    echo_json(rows)
