"""End to end on the real services: `hotline init --demo` in a temporary data dir, then every
branch of the default flow through `hotline call --json` (switch, ACD, knowledge, records, SMS)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from hotline.cli import main
from ivr.service import DEFAULT_FLOW
from tickets.models import Ticket

WORKDAY = "2026-11-24T10:00"  # a Tuesday, Beijing time
EVENING = "2026-11-24T22:00"
NATIONAL_DAY = "2026-10-01T10:00"
NATIONAL_EVENING = "2026-11-24T19:00"  # provinces closed, the national center open (08:00-20:00)
ID, PASSWORD = "11010519491231002X", "246810"  # a demo citizen (records/demo_citizens.py)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hotline")
    out = CliRunner().invoke(main, ["init", "--demo"], env={"HOTLINE_DATA_DIR": str(folder)})
    assert out.exit_code == 0, out.output
    assert "ivr: published default_12333 as version 1 for entry 12333" in out.output
    yield folder


@pytest.fixture
def hotline(data_dir: Path) -> Callable[..., CliRunner]:
    def run(*args: str) -> str:
        out = CliRunner().invoke(main, list(args), env={"HOTLINE_DATA_DIR": str(data_dir)})
        assert out.exit_code == 0, out.output + repr(out.exception)
        return out.output

    return run


@pytest.fixture
def call(hotline: Callable[..., str]) -> Callable[..., dict]:
    def run(keys: str, *extra: str, at: str = WORKDAY, caller: str = "13800138000") -> dict:
        return json.loads(hotline("call", "--in-place", "--from", caller, "--keys", keys, "--at", at, "--json",
                                  *extra))

    return run


def of(doc: dict, kind: str) -> list[dict]:
    return [e for e in doc["events"] if e["type"] == kind]


def prompts(doc: dict) -> list[str]:
    return [e["id"] for e in of(doc, "prompt")]


def test_json_document_shape(call) -> None:
    doc = call("h")
    assert set(doc) == {"call_id", "flow_version", "events", "outcome"}
    assert doc["flow_version"] == 1 and doc["outcome"] == "caller_hangup"
    assert all({"t", "type"} <= set(e) for e in doc["events"])
    assert [e["t"] for e in doc["events"]] == sorted(e["t"] for e in doc["events"])
    assert of(doc, "hangup")[0]["outcome"] == "caller_hangup"


@pytest.mark.parametrize("key,topic", [("1", "pension"), ("2", "medical"), ("3", "employment"),
                                       ("4", "injury_maternity"), ("5", "labour"), ("6", "card")])
def test_topic_branch_answers_from_the_knowledge_base_and_sends_sms(call, key, topic) -> None:
    doc = call(f"{key} 1 1 1")
    answer = of(doc, "kb_answer")[0]
    assert answer["found"] is True and answer["answer"] and len(answer["answer"]) <= 60
    sms = of(doc, "sms")[0]
    assert sms["status"] == "queued" and sms["template"] == "kb_answer" and isinstance(sms["outbox_id"], int)
    assert doc["outcome"] == "completed"


@pytest.mark.parametrize("key,topic", [("1", "pension"), ("2", "medical"), ("3", "employment"),
                                       ("4", "injury_maternity"), ("5", "labour"), ("6", "card")])
def test_zero_from_each_topic_menu_reaches_an_agent_then_the_survey(call, key, topic) -> None:
    doc = call(f"{key} 0 1 2")
    route = of(doc, "route")[0]
    assert route["topic"] == topic and route["province"] == "11" and route["is_open"] is True
    assert of(doc, "queue")[0]["queue_id"] == route["queue_id"]
    agent = of(doc, "agent")
    assert agent[0]["status"] == "connected" and agent[0]["endpoint"].split("/")[-1].split(":")[-1].startswith("agent-")
    assert of(doc, "survey")[0]["score"] == 2 and doc["outcome"] == "completed"


def test_zero_from_the_main_menu_and_survey_report(call, hotline) -> None:
    doc = call("0 1 1")
    assert of(doc, "route")[0]["topic"] == "general" and of(doc, "survey")[0]["label"] == "very_satisfied"
    assert json.loads(hotline("flow", "surveys", "--by", "province")) == []  # simulated calls are left out
    report = json.loads(hotline("flow", "surveys", "--by", "province", "--include-test"))
    assert any(r["province"] == "11" and r["answers"] >= 1 and r["distribution"]["1"] >= 1 for r in report)


def test_seven_my_records_with_password(call, hotline) -> None:
    doc = call(f"7 1 {ID}# 1 1 {PASSWORD}# 9 h")
    records = of(doc, "record")
    assert [(r["op"], r["status"]) for r in records] == [("verify_password", "ok"), ("summary", "ok")]
    assert "contribution_months" in records[1]["fields"]
    inputs = [e["value"] for e in of(doc, "input")]
    assert "110105********002X" in inputs and "******" in inputs and PASSWORD not in json.dumps(doc)
    audit = hotline("audit", "list", "--session", doc["call_id"])
    assert "110105********002X" in audit  # every look-up is audited by records
    earlier = json.loads(hotline("flow", "calls", "--id-number", ID))
    assert doc["call_id"] in [c["call_id"] for c in earlier] and ID not in json.dumps(earlier)
    assert "ivr.contacts" in hotline("audit", "list", "--action", "ivr.contacts")


def test_seven_wrong_password_then_agent(call) -> None:
    doc = call(f"7 1 {ID}# 1 1 000000# 0 1")
    assert of(doc, "record")[0]["status"] == "wrong"
    assert any(p.startswith("records:verify_password:wrong") for p in prompts(doc))


def test_invalid_keys_timeouts_and_exhausted_retries(call) -> None:
    doc = call("8 - 5 8 - 7 h")
    ids = prompts(doc)
    assert ids.count("input_invalid") == 2 and ids.count("input_timeout") == 2
    assert "labour_menu" in ids and "too_many_attempts" in ids
    # the labour menu gave up to an agent after three failures
    assert [e["node"] for e in of(doc, "node")][-1] == "agent"


def test_after_hours_offers_callback(call) -> None:
    doc = call("0 1 1", at=EVENING)
    ids = prompts(doc)
    assert ids[2] == "after_hours_notice" and "agents_closed" in ids and "after_hours_menu" in ids
    assert of(doc, "route")[0]["is_open"] is False
    assert of(doc, "callback")[0]["status"] == "scheduled" and doc["outcome"] == "callback"


def test_after_hours_sms_with_opening_hours(call) -> None:
    doc = call("0 1 2", at=EVENING)
    assert of(doc, "sms")[0]["status"] == "queued"


def test_holiday_notice(call) -> None:
    doc = call("h", at=NATIONAL_DAY)
    notice = of(doc, "prompt")[2]
    assert notice["id"] == "holiday_notice" and "国庆节" in notice["text"]


def test_nobody_answers_the_caller_gives_up(call) -> None:
    doc = call("0 1", "--no-agent")
    assert of(doc, "queue")[0]["state"] == "waiting" and doc["outcome"] == "abandoned"


def test_speech_through_the_classifier(hotline) -> None:
    doc = json.loads(hotline("call", "--in-place", "--say", "我想问养老保险转移", "--keys", "1 1", "--at", WORKDAY,
                             "--json"))
    assert of(doc, "intent")[0]["intent"] == "pension"
    assert of(doc, "kb_answer")[0]["found"] is True


def test_english(call) -> None:
    doc = call("9 h")
    menus = [e for e in of(doc, "prompt") if e["id"] == "main_menu"]
    assert menus[-1]["language"] == "en"


def test_new_version_for_new_calls_and_rollback(call, hotline, data_dir: Path, tmp_path: Path) -> None:
    v2 = tmp_path / "v2.yaml"
    v2.write_text(DEFAULT_FLOW.read_text(encoding="utf-8").replace("prompts: [welcome, language_switch]",
                                                                   "prompts: [welcome]"), encoding="utf-8")
    assert "as version 2" in hotline("flow", "publish", str(v2), "--entry", "12333")
    doc = call("h", caller="13900139000")
    assert doc["flow_version"] == 2 and "language_switch" not in prompts(doc)
    assert "now runs version 1" in hotline("flow", "rollback", "--entry", "12333")
    doc = call("h", caller="13900139000")
    assert doc["flow_version"] == 1 and "language_switch" in prompts(doc)
    contacts = json.loads(hotline("flow", "calls", "--from", "13900139000"))
    assert [c["flow_version"] for c in contacts] == [1, 2] and contacts[0]["caller"] == "139****9000"


def test_interactive_terminal(data_dir: Path) -> None:
    out = CliRunner().invoke(main, ["call", "--at", WORKDAY], input="1\n9\nq\n",
                             env={"HOTLINE_DATA_DIR": str(data_dir)})
    assert out.exit_code == 0, out.output
    assert "养老保险。养老保险关系转移请按1" in out.output and "outcome caller_hangup" in out.output


def test_emergency_closure_overrides_everything(call, hotline) -> None:
    hotline("centers", "close", "11", "--text", "因系统升级，北京人工服务暂停。")
    try:
        doc = call("0 1 h")
    finally:
        hotline("centers", "open", "11")
    # the national center takes Beijing's calls: no "closed" notice at the welcome; the closure text
    # and where the call goes are said when the caller asks for an agent
    assert of(doc, "prompt")[2]["id"] == "main_menu"
    route = of(doc, "route")[0]
    assert route["center_code"] == "00" and route["overflow"] == "national" and route["is_open"] is True
    said = [e["text"] for e in of(doc, "prompt") if e["id"] == "route_overflow"]
    assert said == ["因系统升级，北京人工服务暂停，为您转接全国12333人工服务。"]
    # closed everywhere: the emergency notice is read and the caller is offered a callback
    hotline("centers", "close", "11", "--text", "因系统升级，北京人工服务暂停。")
    hotline("centers", "close", "00")
    try:
        doc = call("0 1 h")
    finally:
        hotline("centers", "open", "11")
        hotline("centers", "open", "00")
    notice = of(doc, "prompt")[2]
    assert notice["id"] == "emergency_notice" and "系统升级" in notice["text"]
    assert of(doc, "route")[0]["is_open"] is False and "after_hours_menu" in prompts(doc)


def test_after_provincial_hours_the_national_center_answers_and_the_ivr_says_so(call) -> None:
    doc = call("0 1 1", at=NATIONAL_EVENING)
    ids = prompts(doc)
    assert ids[2] == "main_menu" and "after_hours_notice" not in ids and "agents_closed" not in ids
    route = of(doc, "route")[0]
    assert (route["province"], route["center_code"], route["overflow"], route["is_open"]) == ("11", "00", "national",
                                                                                              True)
    said = [e["text"] for e in of(doc, "prompt") if e["id"] == "route_overflow"]
    assert said == ["本省人工服务时间已过，为您转接全国12333人工服务。"]
    assert of(doc, "queue")[0]["queue_id"] == "00-general"
    assert of(doc, "agent")[0]["status"] == "connected" and doc["outcome"] == "completed"


def test_on_a_public_holiday_the_national_center_is_closed_too(call) -> None:
    doc = call("0 1 1", at=NATIONAL_DAY)
    assert prompts(doc)[2] == "holiday_notice" and "route_overflow" not in prompts(doc)
    route = of(doc, "route")[0]
    assert route["is_open"] is False and route["queue_id"] is None and route["overflow"] == "callback"
    assert of(doc, "callback")[0]["status"] == "scheduled" and doc["outcome"] == "callback"
    assert of(doc, "queue")[0]["queue_id"] == "11-general"  # booked through switch.queue_for


def test_ticket_overflow_opens_a_ticket(call, hotline, data_dir: Path) -> None:
    hotline("centers", "overflow", "11", "ticket")
    try:
        doc = call("2 0 1", at=EVENING, caller="13800138111")
    finally:
        hotline("centers", "overflow", "11", "national", "callback")
    ticket = of(doc, "ticket")[0]
    assert ticket["status"] == "opened" and ticket["topic"] == "medical" and doc["outcome"] == "ticket"
    said = next(e["text"] for e in of(doc, "prompt") if e["id"] == "ticket_opened")
    assert " ".join(str(ticket["ticket_id"])) in said
    engine = create_engine(f"sqlite:///{data_dir / 'hotline.db'}")
    with Session(engine) as s:
        row = s.get(Ticket, ticket["ticket_id"])
        assert (row.caller, row.province, row.call_id, row.status) == ("13800138111", "11", doc["call_id"], "open")
        assert row.topic.startswith("医疗保险")
    engine.dispose()


def test_agent_leg_never_answered_requeues_then_another_agent_answers(call) -> None:
    doc = call("0 1 1", "--agent-no-answer", "1")
    agents = [(e["status"], e["agent_id"]) for e in of(doc, "agent")]
    assert [s for s, _ in agents] == ["connected", "no_answer", "connected", "ended"]
    assert agents[0][1] == agents[1][1] != agents[2][1] == agents[3][1]  # a different agent took it
    ids = prompts(doc)
    after = ids[ids.index("queue_agent_no_answer"):]
    assert after[:2] == ["queue_agent_no_answer", "queue_next"]  # back at the head of the queue
    assert of(doc, "survey")[0]["score"] == 1 and doc["outcome"] == "completed"
