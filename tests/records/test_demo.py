"""The demo core database: reproducible, idempotent, valid IDs, the documented demo citizens."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from core import citizen_id
from records import generator
from records.demo import load_demo
from records.demo_citizens import DEMO_CITIZENS
from tests.records.conftest import AS_OF, DEMO_ID, DEMO_PASSWORD


def _dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    digest = hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    conn.close()
    return digest


def test_generation_is_reproducible_and_idempotent(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    assert generator.build(f"sqlite:///{a}", persons=30, as_of=AS_OF) == (36, True)
    assert generator.build(f"sqlite:///{b}", persons=30, as_of=AS_OF) == (36, True)
    assert _dump(a) == _dump(b)
    assert generator.build(f"sqlite:///{a}", persons=30, as_of=AS_OF) == (36, False)
    generator.build(f"sqlite:///{b}", persons=30, seed=7, as_of=AS_OF, force=True)
    assert _dump(a) != _dump(b)


def test_demo_data_is_plausible(core_file: Path) -> None:
    conn = sqlite3.connect(core_file)
    ids = [r[0] for r in conn.execute("SELECT id_number FROM insured_person")]
    assert len(ids) == len(set(ids)) == 46 and all(citizen_id.is_valid(i) for i in ids)
    for c in DEMO_CITIZENS:
        row = conn.execute("SELECT name, mobile, province_code, status FROM insured_person WHERE id_number = ?",
                           (c.id_number,)).fetchone()
        assert row == (c.name, c.mobile, c.province, c.status)
    # every retiree receives a pension; nobody else does
    bad = conn.execute("""SELECT count(*) FROM insured_person p WHERE (p.status = 'retired') !=
                          EXISTS (SELECT 1 FROM pension_payment pp WHERE pp.person_id = p.person_id)""").fetchone()
    assert bad == (0,)
    assert conn.execute("""SELECT u.status FROM unemployment_status u JOIN insured_person p USING (person_id)
                           WHERE p.id_number = '510107199002024411'""").fetchone() == ("receiving",)
    assert conn.execute("""SELECT i.disability_grade FROM injury_status i JOIN insured_person p USING (person_id)
                           WHERE p.id_number = '320102198507074412'""").fetchone() == (7,)
    assert conn.execute("SELECT max(month) FROM contribution").fetchone() == ("2026-11",)
    conn.close()


def test_load_demo_is_idempotent_and_the_demo_citizen_works(platform, codes) -> None:
    first = load_demo(platform, persons=20)
    second = load_demo(platform, persons=20)
    assert "26 insured persons (generated)" in first and "5 passwords set" in first
    assert "already present" in second and "0 passwords set" in second
    records = platform.records
    assert records.verify_password("demo", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    out = records.self_service_summary("demo", channel="ivr")
    assert out.ok and out.fields["status"] == "retired"
