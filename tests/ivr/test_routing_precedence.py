"""Routing a call as a citizen makes it: the real IVR, switch, ACD and records (demo core database).

The demo citizen 44010619880315003X is insured in Guangzhou but has a Beijing mobile: confirming the
guessed province (Beijing) is not a choice, so after verification the call goes to Guangdong."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hotline.platform import Platform
from ivr.service import DEFAULT_FLOW, IvrService
from ivr.simulator import ScriptedCaller, Simulator
from tests.records.conftest import codes, core_file, demo_hashes, records  # noqa: F401 - fixtures

GD_ID = "44010619880315003X"
BJ_MOBILE = "13901001234"
TUESDAY_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing


@pytest.fixture
def ivr(platform: Platform, records: Any, clock: Any) -> IvrService:  # noqa: F811 - the records fixture
    clock.set(TUESDAY_10)
    service = IvrService(platform)
    service.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    platform.__dict__["ivr"] = service
    return service


def run(platform: Platform, ivr: IvrService, keys: str) -> list[dict]:
    sim = Simulator(platform, ScriptedCaller(keys), agent=False, ivr=ivr, patience_s=5.0)
    return sim.run(caller=BJ_MOBILE, call_id="call-gd").events


def routes(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "route" and "province" in e]


def test_the_issues_call_confirming_the_guess_then_verifying_routes_to_the_province_of_insurance(
        platform, ivr) -> None:
    # 7 records, 1 keep the guessed Beijing, the ID with * for X, 1 confirm it, 1 password, 0 an agent
    events = run(platform, ivr, "7 1 44010619880315003*# 1 1 135790# 0")
    province = next(e for e in events if e["type"] == "province")
    assert (province["province"], province["how"]) == ("11", "confirmed")
    route = routes(events)[0]
    assert route["province"] == "44" and route["queue_id"] == "44-general"
    assert route["reasons"][0] == "insured_province"
    assert route["why"][0] == "核心系统记录来电人参保地为广东省广州市"
    # the agent's screen pop gets the reasons with their text
    context = platform.agents.call_context("call-gd")["context"]
    assert context["routing_reasons"][0] == {"code": "insured_province",
                                             "text": "核心系统记录来电人参保地为广东省广州市"}
    assert context["verified"] is True and context["verified_id_masked"].endswith("003X")
    # reading the 参保地 for routing is a look-up of the person's data: audited
    entry = [e for e in platform.audit.entries(limit=50) if e.action == "record.region"]
    assert entry and entry[0].outcome == "ok" and entry[0].session_id == "call-gd"


def test_an_explicit_choice_of_another_province_wins_over_the_insured_province(platform, ivr) -> None:
    # as above, but at the province question 2 and 51 (Sichuan) keyed in
    events = run(platform, ivr, "7 2 51# 44010619880315003*# 1 1 135790# 0")
    route = routes(events)[0]
    assert route["province"] == "51" and route["reasons"][0] == "caller_choice"
    assert route["why"][0] == "来电人选择了四川省（参保地为广东省）"


def test_without_verification_the_number_location_routes(platform, ivr) -> None:
    events = run(platform, ivr, "0 1")  # agent straight away, keep the guess
    route = routes(events)[0]
    assert route["province"] == "11" and route["reasons"] == ["number_location"]


def test_silence_at_the_province_question_is_not_a_choice(platform, ivr) -> None:
    # no key at the province question (timeout keeps the guess), then verification decides
    events = run(platform, ivr, "7 - 44010619880315003*# 1 1 135790# 0")
    province = next(e for e in events if e["type"] == "province")
    assert province["how"] == "kept"
    assert routes(events)[0]["province"] == "44"
