"""Demo data of the QA home: the standard 12333 scoring form."""

from __future__ import annotations

from qa.api import QaHost


def load_demo(platform: QaHost) -> str:
    form = platform.qa.ensure_default_form()
    return f"qa: scoring form {form['id']} ({form['name']}, {len(form['criteria'])} criteria)"
