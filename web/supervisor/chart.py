"""The day chart for the wallboard: calls offered (bars) and answered within 15 s (line) per
15-minute interval, drawn as inline SVG on the server (no JavaScript chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 1200, 200, 28


SLOTS = 96  # 15-minute intervals in a day


def _slot(start: str) -> int:
    hours, _, minutes = start.partition(":")
    try:
        return max(0, min(SLOTS - 1, (int(hours) * 60 + int(minutes or 0)) // 15))
    except ValueError:
        return 0


def day_chart(intervals: Sequence[dict[str, Any]], title: str = "") -> Markup:
    """`intervals`: dicts with `start` ("HH:MM" Beijing time), `offered`, `answered`, `abandoned`;
    drawn on the whole day's 96 slots so that the hour of each bar is where it happened."""
    rows = sorted(intervals, key=lambda r: _slot(str(r.get("start", ""))))
    top = max([1, *(int(r.get("offered") or 0) for r in rows)])
    step = (WIDTH - 2 * PAD) / SLOTS
    scale = (HEIGHT - 2 * PAD) / top
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#9aa7b5"/>',
             f'<text x="2" y="{PAD}">{top}</text>']
    for hour in range(0, 24, 2):
        parts.append(f'<text x="{PAD + hour * 4 * step:.1f}" y="{HEIGHT - 6}">{hour:02d}:00</text>')
    points = []
    for row in rows:
        offered, answered = int(row.get("offered") or 0), int(row.get("answered") or 0)
        abandoned = int(row.get("abandoned") or 0)
        x = PAD + _slot(str(row.get("start", ""))) * step
        h = offered * scale
        parts.append(f'<rect class="bar" x="{x + 0.5:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{step - 1:.1f}" '
                     f'height="{h:.1f}" fill="#9cc3ea"><title>{escape(row.get("start", ""))} '
                     f'offered {offered}, answered {answered}, abandoned {abandoned}</title></rect>')
        points.append(f"{x + step / 2:.1f},{HEIGHT - PAD - answered * scale:.1f}")
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#0b4f8a" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
