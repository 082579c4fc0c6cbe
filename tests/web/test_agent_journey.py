"""The agent's journey details: the IVR inputs by menu title (never a raw dict), hold and transfer
disabled with the reason when no voice channel is linked, every call outcome translated, and the
callback SMS saying the time as a Chinese reader does (`12月7日上午10:00`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.zhdate import zh_datetime
from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import place_call
from web.i18n import translate_code

pytestmark = pytest.mark.usefixtures("web_app")


@pytest.mark.parametrize(("moment", "said"), [
    (datetime(2026, 12, 7, 10, 0), "12月7日上午10:00"),
    (datetime(2026, 11, 25, 15, 0), "11月25日下午3:00"),
    (datetime(2026, 11, 25, 12, 30), "11月25日中午12:30"),
    (datetime(2026, 11, 25, 20, 5), "11月25日晚上8:05"),
    (datetime(2027, 1, 4, 9, 0), "2027年1月4日上午9:00"),
])
def test_times_in_chinese(moment: datetime, said: str) -> None:
    assert zh_datetime(moment, date(2026, 11, 24)) == said


def test_call_outcomes_are_translated() -> None:
    for code in ("none", "abandoned", "completed", "caller_hangup", "too_many_attempts", "lost"):
        zh, en = translate_code("disposition", code, "zh"), translate_code("disposition", code, "en")
        assert zh != code and en != code and zh != en


@pytest.fixture
def agent(platform: Platform, make_user: Any, client_for: Any) -> dict[str, Any]:
    pytest.importorskip("agents.wiring")
    from tests.web.scenario import records_ready

    records_ready(platform)
    platform.sms.templates.seed_defaults()
    make_user("bj", ("agent",), "11", agent=True)
    client = client_for("bj")
    csrf = page_csrf(client)
    client.post("/api/v1/agent/ready", headers={"X-CSRFToken": csrf})
    return {"client": client, "csrf": csrf}


def test_the_call_panel_shows_inputs_by_title_and_says_why_hold_is_off(platform: Platform, agent: dict[str, Any],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.domain import QueuedCall

    client, csrf = agent["client"], agent["csrf"]
    context = {"ivr_path": ["welcome", "main_menu"], "channel": "simulator", "entry": "12333",
               "inputs": [{"node": "main_menu", "kind": "key", "value": "0"}]}
    platform.agents.enqueue(QueuedCall(call_id="c-inputs", queue_id="11-general", center_code="11", topic="general",
                                       caller="13800138000", language="zh", context=context))
    html = client.post("/api/v1/agent/calls/c-inputs/accept",
                       headers={"HX-Request": "true", "X-CSRFToken": csrf}).get_data(as_text=True)
    assert "{'node'" not in html and "'kind'" not in html
    assert "主菜单: 0" in html or "main_menu: 0" in html
    assert 'id="voice-unlinked"' in html and "没有连接语音通道" in html
    hold = html.split('id="btn-hold"')[1].split(">")[0]
    assert "disabled" in hold and 'id="btn-hangup"' in html


def test_a_test_call_has_hold_and_transfer(platform: Platform, agent: dict[str, Any]) -> None:
    from agents.domain import QueuedCall

    platform.agents.enqueue(QueuedCall(call_id="test-abc", queue_id="11-general", center_code="11", topic="general",
                                       caller="13800138000", language="zh", context={"channel": "test"}))
    html = agent["client"].post("/api/v1/agent/calls/test-abc/accept",
                                headers={"HX-Request": "true", "X-CSRFToken": agent["csrf"]}).get_data(as_text=True)
    assert 'id="voice-unlinked"' not in html
    assert "disabled" not in html.split('id="btn-hold"')[1].split(">")[0]


def test_the_callback_sms_says_the_time_in_chinese(platform: Platform, agent: dict[str, Any]) -> None:
    from sms.models import OutboxMessage

    call_id = place_call(platform, province="11")
    client, csrf = agent["client"], agent["csrf"]
    assert client.post(f"/api/v1/agent/calls/{call_id}/accept", headers={"X-CSRFToken": csrf}).status_code == 200
    done = client.post("/api/v1/agent/callback", json={"call_id": call_id, "when": "2026-12-07T10:00"},
                       headers={"X-CSRFToken": csrf})
    assert done.status_code == 200, done.json
    with platform.db.session() as s:
        texts = [m.text for m in s.execute(select(OutboxMessage)).scalars() if m.template == "callback_scheduled"]
    assert texts and "12月7日上午10:00" in texts[0] and "2026-12-07T10:00" not in texts[0]
    bad = client.post("/api/v1/agent/callback", json={"call_id": call_id, "when": "next tuesday"},
                      headers={"X-CSRFToken": csrf})
    assert bad.status_code == 422 and "2026-12-07 10:00" in bad.json["error"]


def test_too_long_input_gets_a_clear_message_and_nothing_is_cut(platform: Platform, agent: dict[str, Any]) -> None:
    client, csrf = agent["client"], agent["csrf"]
    call_id = place_call(platform, province="11")
    assert client.post(f"/api/v1/agent/calls/{call_id}/accept", headers={"X-CSRFToken": csrf}).status_code == 200
    long = client.post("/api/v1/tickets", json={"subject": "长" * 10_000, "call_id": call_id},
                       headers={"X-CSRFToken": csrf})
    assert long.status_code == 422 and "最多60个字" in long.json["error"] and "at most 60" in long.json["error"]
    assert platform.tickets.list_center("11") == []  # nothing stored, nothing cut
    page = client.get("/api/v1/kb/search", query_string={"q": "养" * 1000},
                      headers={"HX-Request": "true"})
    assert page.status_code == 400 and "最多200个字" in page.get_data(as_text=True)
    notes = client.post("/api/v1/agent/wrap-up", json={"disposition": "resolved", "notes": "x" * 2001},
                        headers={"X-CSRFToken": csrf})
    assert notes.status_code == 422
    assert platform.agents.call_status(call_id).state == "connected"  # refused before anything changed
    html = client.get("/agent/").get_data(as_text=True)
    assert 'maxlength="200"' in html and "favicon.svg" in html and 'name="all_provinces"' in html


def test_an_article_can_be_read_in_full_with_its_revision_and_dates(platform: Platform, agent: dict[str, Any],
                                                                    make_user: Any) -> None:
    from tests.web.scenario import publish_article

    editor, reviewer = make_user("ed", ("editor",), "00"), make_user("rv", ("reviewer",), "00")
    article = publish_article(platform, editor, reviewer, title="失业保险金申领",
                              short_answer="非因本人意愿中断就业且缴费满1年，可申领失业保险金。",
                              body="<p>携带身份证到参保地经办机构办理。</p><script>alert(1)</script>",
                              questions=["失业金怎么领"], category="employment", province="44")
    client = agent["client"]
    hits = client.get("/api/v1/kb/search", query_string={"q": "失业金怎么领", "province": "11"}).json["hits"]
    assert article not in [h["article_id"] for h in hits]  # another province's answer: only on request
    wide = client.get("/api/v1/kb/search", query_string={"q": "失业金怎么领", "province": "11",
                                                        "all_provinces": "1"}, headers={"HX-Request": "true"})
    assert f'data-article="{article}"' in wide.get_data(as_text=True) and "查看全文" in wide.get_data(as_text=True)
    full = client.get(f"/api/v1/kb/read/{article}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "携带身份证到参保地经办机构办理" in full and "<script>" not in full
    assert "版本 1" in full and "有效期" in full and "广东" in full
    assert client.get("/api/v1/kb/read/nope").status_code == 404
