"""Demo data for records: the demo insurance core database (a separate SQLite file, generated once)
and the hashed service passwords of the fixed demo citizens in the platform's own database."""

from __future__ import annotations

from core.clock import china_now
from records import generator
from records.api import RecordsHost
from records.demo_citizens import DEMO_CITIZENS

DEMO_PERSONS = 3000


def load_demo(platform: RecordsHost, persons: int = DEMO_PERSONS) -> str:
    url = platform.settings.records_database_url
    if url.startswith("sqlite"):
        total, created = generator.build(url, persons=persons, as_of=china_now(platform.clock).date())
        core_line = f"{total} insured persons ({'generated' if created else 'already present'})"
    else:
        core_line = "external core database left untouched"
    book = platform.records.passwords
    added = 0
    for citizen in DEMO_CITIZENS:
        if citizen.password and not book.has(citizen.id_number):
            book.set(citizen.id_number, citizen.password, source="demo")
            added += 1
    return (f"records: demo core database {core_line}; {len(DEMO_CITIZENS)} demo citizens "
            f"({added} passwords set), e.g. 11010519491231002X / 246810")
