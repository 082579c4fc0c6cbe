"""Readable IVR paths for people: node ids ("main_menu") as the flow's node titles ("主菜单").

The path a call took is a list of node ids; the agent's call panel shows it in the console's
language. A step the flow has no title for (or no such node) is shown as its id; a step written
`<node>:<detail>` keeps the detail after the node's title.
"""

from __future__ import annotations

from collections.abc import Iterable

from ivr.flow import Flow


def step_label(flow: Flow | None, step: str, lang: str = "zh") -> str:
    """One step of a path, readable: the node's title in `lang`, else the step as it is."""
    step = str(step)
    if flow is None:
        return step
    node = flow.nodes.get(step)
    if node is not None:
        return node.title(lang) or step
    head, sep, detail = step.partition(":")
    node = flow.nodes.get(head) if sep else None
    title = node.title(lang) if node is not None else None
    return f"{title} {detail}".strip() if title else step


def path_labels(flow: Flow | None, path: Iterable[str], lang: str = "zh") -> list[str]:
    return [step_label(flow, step, lang) for step in path]
