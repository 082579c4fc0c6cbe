"""Routing precedence, topics, overflow reasons and remote centers."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.domain import QueuedCall
from switch.config import SwitchSettings
from tests.switch.conftest import make_id


def codes(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.code for r in decision.reasons]


def test_number_location_decides_by_default(platform) -> None:
    assert platform.switch.route(caller="18620001234").province == "44"
    d = platform.switch.route(caller="13800138000", topic="pension")
    assert (d.province, d.center_code, d.queue_id, d.topic) == ("11", "11", "11-pension", "pension")
    assert codes(d) == ["number_location"] and d.is_open and not d.remote and d.overflow is None


def test_precedence_choice_then_id_then_number_then_entry(platform) -> None:
    gd_id = make_id("44")
    d = platform.switch.route(caller="13800138000", choice="51", verified_id=gd_id)
    assert d.province == "51" and codes(d) == ["caller_choice"]
    d = platform.switch.route(caller="13800138000", verified_id=make_id("32"))
    assert d.province == "32" and codes(d) == ["id_province"]
    d = platform.switch.route(caller="13800138000", choice="99", verified_id=gd_id)
    assert d.province == "44" and codes(d) == ["invalid_choice", "id_province"]
    d = platform.switch.route(caller=None, entry_center="37")
    assert d.province == "37" and codes(d) == ["entry_center"]
    d = platform.switch.route(caller="+852 6123 4567")  # a Hong Kong number has no mainland location
    assert d.province == "00" and codes(d) == ["entry_center"]
    d = platform.switch.route(caller="18620001234", verified_id=make_id("81"))  # issued in HK: no center
    assert d.province == "44" and codes(d) == ["no_center", "number_location"]
    d = platform.switch.route(caller="13800138000", verified_id="440106198506121230")  # bad check digit
    assert d.province == "11" and codes(d) == ["invalid_id", "number_location"]


def test_xpcc_is_routable_by_choice(platform) -> None:
    d = platform.switch.route(caller="13800138000", choice="66", topic="medical")
    assert d.center_code == "66" and d.queue_id == "66-medical"


def test_elderly_caller_gets_priority(platform) -> None:
    d = platform.switch.route(caller=None, verified_id=make_id("11", birth="19500101"))
    assert d.priority == 1 and "elderly" in codes(d)
    assert platform.switch.route(caller=None, verified_id=make_id("11", birth="19900101")).priority == 0


def test_unknown_topic_goes_to_general(platform) -> None:
    d = platform.switch.route(caller="18620001234", topic="weather")
    assert d.queue_id == "44-general" and "unknown_topic" in codes(d)


def test_closed_center_overflows_to_national_then_callback(platform) -> None:
    platform.switch.close_center("44", "系统升级，暂停服务")
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert (d.province, d.center_code, d.queue_id, d.overflow) == ("44", "00", "00-pension", "national")
    assert codes(d) == ["number_location", "closed", "overflow:national"]
    assert "系统升级" in d.reasons[1].text
    platform.switch.close_center("00")
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert d.queue_id is None and d.overflow == "callback" and not d.is_open
    assert codes(d)[-1] == "overflow:callback"
    platform.switch.open_center("44")
    assert platform.switch.route(caller="18620001234").center_code == "44"


def test_overflow_to_another_center(platform) -> None:
    platform.switch.update_center("44", overflow=["center:51", "ticket"])
    platform.switch.close_center("44")
    d = platform.switch.route(caller="18620001234", topic="card")
    assert d.center_code == "51" and d.queue_id == "51-card" and d.overflow == "center:51"
    platform.switch.close_center("51")
    d = platform.switch.route(caller="18620001234", topic="card")
    assert d.overflow == "ticket" and d.queue_id is None


def test_overloaded_center_overflows(platform) -> None:
    platform.switch.update_center("11", capacity=2)
    for i in range(2):
        platform.agents.enqueue(QueuedCall(call_id=f"c{i}", queue_id="11-pension", center_code="11", topic="pension"))
    d = platform.switch.route(caller="13800138000", topic="pension")
    assert codes(d) == ["number_location", "overloaded", "overflow:national"] and d.queue_id == "00-pension"
    platform.agents.abandon("c0")
    assert platform.switch.route(caller="13800138000", topic="pension").queue_id == "11-pension"


def test_after_hours_is_closed_with_reason(platform, clock) -> None:
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))  # 20:00 in Beijing
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert "closed" in codes(d) and d.overflow == "callback" and not d.is_open  # national also closed at 20:00


def test_remote_center_carries_trunk(platform) -> None:
    platform.switch.update_center("44", mode="remote", base_url="http://gd.example", trunk="PJSIP/trunk-gd")
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert d.remote and d.trunk == "PJSIP/trunk-gd" and d.queue_id == "44-pension"
    assert codes(d)[-1] == "remote"


def test_route_decided_event_masks_caller(platform) -> None:
    seen = []
    platform.bus.subscribe(seen.append, ("route.",))
    platform.switch.route(caller="18620001234", call_id="x1")
    assert seen[0].type == "route.decided" and seen[0].data["caller"] == "186****1234"
    assert seen[0].data["province"] == "44" and seen[0].data["call_id"] == "x1"


def test_directory_has_every_center(platform) -> None:
    centers = {c.code: c for c in platform.switch.centers()}
    assert len(centers) == 33 and "66" in centers and "00" in centers
    assert {q.topic for q in platform.agents.queues("44")} == {"pension", "medical", "employment",
                                                               "injury_maternity", "labour", "card", "general"}
    assert platform.switch.detected_province("18620001234") == "44"


def test_service_state_agrees_with_the_routing_decision(platform, clock) -> None:
    """What the IVR announces (service_state) and where the switch sends the call (route) agree."""
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))  # Tuesday 19:00 in Beijing: provinces closed
    own = platform.switch.hours_state("44")
    state = platform.switch.service_state("44")
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert not own.open and state.open and state.reason == "overflow" and state.via == "00"
    assert d.is_open and d.overflow == "national" and d.center_code == "00" and d.queue_id == "00-pension"
    assert d.announcement == state.text_zh == "本省人工服务时间已过，为您转接全国12333人工服务。"
    assert d.to_dict()["announcement"] == d.announcement
    # an emergency closure says so, then where the call goes
    platform.switch.close_center("44", "因线路故障，广东人工服务暂停。")
    assert platform.switch.route(caller="18620001234").announcement == \
        "因线路故障，广东人工服务暂停，为您转接全国12333人工服务。"
    platform.switch.close_center("44")
    assert platform.switch.route(caller="18620001234").announcement == "本省人工服务暂停，为您转接全国12333人工服务。"
    platform.switch.open_center("44")
    # a call to an open center is announced nothing
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    assert platform.switch.route(caller="18620001234").announcement == ""
    assert platform.switch.service_state("44").reason == "weekly_hours"


def test_on_a_public_holiday_every_center_is_closed_unless_exempt(platform, clock, monkeypatch) -> None:
    clock.set(datetime(2026, 10, 1, 2, 0, tzinfo=UTC))  # National Day, 10:00 in Beijing
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert not d.is_open and d.overflow == "callback" and d.queue_id is None and d.announcement == ""
    state = platform.switch.service_state("44")
    assert not state.open and state.reason == "holiday" and state.via is None
    # a deployment may keep the national center open on holidays
    monkeypatch.setattr(platform.switch.hours, "config", SwitchSettings(holiday_exempt="00"))  # read at start
    d = platform.switch.route(caller="18620001234", topic="pension")
    assert d.is_open and d.center_code == "00"
    assert d.announcement == "国庆节假期本省人工服务暂停，为您转接全国12333人工服务。"
    assert platform.switch.service_state("44").via == "00"


def test_queue_for_a_center_and_topic(platform) -> None:
    assert platform.agents.queue_for("44", "pension").id == "44-pension"
    assert platform.agents.queue_for("44", None).id == "44-general"
    assert platform.agents.queue_for("44", "no-such-topic").id == "44-general"
    assert platform.agents.queue_for("99", "pension") is None


def test_insured_province_beats_the_id_and_the_number_but_not_an_explicit_choice(platform) -> None:
    bj_born = make_id("11")
    d = platform.switch.route(caller="13800138000", verified_id=bj_born, insured_province="44",
                              insured_city="深圳市")
    assert d.province == "44" and codes(d) == ["insured_province"]
    assert d.reasons[0].text == "核心系统记录来电人参保地为广东省深圳市"
    d = platform.switch.route(caller="13800138000", choice="51", verified_id=bj_born, insured_province="44")
    assert d.province == "51" and codes(d) == ["caller_choice"] and "参保地为广东省" in d.reasons[0].text
    # an insured region without a center (Hong Kong) falls through to the ID's province of issue
    d = platform.switch.route(caller="18620001234", verified_id=make_id("32"), insured_province="81")
    assert d.province == "32" and codes(d) == ["no_center", "id_province"]


def test_an_unverified_id_counts_after_the_insured_province_and_before_the_number(platform) -> None:
    d = platform.switch.route(caller="13800138000", id_number=make_id("32"))
    assert d.province == "32" and codes(d) == ["id_province"] and "未验证" in d.reasons[0].text
    # an unverified ID never makes the caller elderly (priority needs a verified ID)
    d = platform.switch.route(caller=None, id_number=make_id("11", birth="19400101"))
    assert d.priority == 0 and "elderly" not in codes(d)


def test_service_state_is_remembered_for_a_minute_and_no_longer(platform, clock) -> None:
    # 17:29:59 in Beijing on a working day: Guangdong still open; 17:30:00 closed (hours end at 17:30)
    clock.set(datetime(2026, 11, 24, 9, 29, 59, tzinfo=UTC))
    assert platform.switch.service_state("44").open
    assert platform.switch.service_state("44") is platform.switch.service_state("44")  # asked again: remembered
    clock.set(datetime(2026, 11, 24, 9, 30, 0, tzinfo=UTC))
    later = platform.switch.service_state("44")
    assert later.reason != "weekly_hours" or not later.open
    assert platform.switch.hours_state("44").open is False
    # a change to the directory counts at once, within the same minute
    clock.set(datetime(2026, 11, 24, 2, 0, 0, tzinfo=UTC))
    assert platform.switch.service_state("44").reason == "weekly_hours"
    platform.switch.close_center("44", "线路故障")
    assert platform.switch.hours_state("44").reason == "emergency"
    assert platform.switch.service_state("44").reason in ("emergency", "overflow")
    assert platform.switch.service_state("44").reason != "weekly_hours"
