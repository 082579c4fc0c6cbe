"""The console polish: the record panel labelled and formatted, states translated, messages out of
the way, user editing, the callback list, the Twilio browser phone switch and ProxyFix."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import DEMO_ID, place_call, records_ready

WEB = Path(__file__).resolve().parents[2] / "web"


def _text(html: str) -> str:
    """What the user reads: the fragment without tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- the record panel -----------------------------------------------------------------------------

def test_money_and_months_are_formatted() -> None:
    from web.agent.record_view import money, months

    assert money("122400.29", "zh") == "122,400.29 元" and money("6475", "zh") == "6,475.00 元"
    assert money("0.5", "en") == "¥0.50" and money(None, "zh") == "—" and money("n/a", "zh") == "n/a"
    assert months(180, "zh") == "180 个月（15 年）" and months(27, "zh") == "27 个月（2 年 3 个月）"
    assert months(7, "zh") == "7 个月" and months(12, "en") == "12 months (1 year)" and months(1, "en") == "1 month"


def test_present_orders_labels_and_formats_sections() -> None:
    from web.agent.record_view import present

    record = {"pension_payments": [{"month": "2026-10", "amount": "6475.00", "paid_on": "2026-10-15"}] * 8,
              "person": {"name": "李*兰", "status": "retired", "insured_province": "11", "new_column": 3},
              "medical": None}
    person, payments, medical = present(record, "zh")
    assert person.key == "person" and payments.key == "pension_payments"  # reading order, not the input's
    assert [(f.label, f.value) for f in person.fields] == [("姓名", "李*兰"), ("状态", "已退休"),
                                                           ("参保省份", "北京市"), ("new_column", "3")]
    assert [c.label for c in payments.columns] == ["月份", "金额（元）", "发放日期"] and payments.columns[1].numeric
    assert [f.value for f in payments.rows[0]] == ["2026-10", "6,475.00", "2026-10-15"]
    assert len(payments.rows) == 6 and payments.more == 2
    assert medical.label == "医保账户" and not medical.fields and not medical.rows


def test_every_record_field_and_section_has_a_label_in_both_languages() -> None:
    from web.agent.record_view import MONTH_COUNTS, label
    from web.i18n import has

    mapping = (Path(__file__).resolve().parents[2] / "records" / "mapping.yaml").read_text()
    import yaml

    sections = yaml.safe_load(mapping)["sections"]
    for section, spec in sections.items():
        assert has(f"record.section.{section}"), section
        columns = re.findall(r"\bAS (\w+)", spec["sql"])
        for column in columns:
            if column == "person_key":
                continue  # never leaves the records service
            for lang in ("zh", "en"):
                text = label(section, column, lang)
                assert text != column, f"{section}.{column} has no {lang} label"
    assert {c for spec in sections.values() for c in re.findall(r"\bAS (\w+)", spec["sql"])} >= MONTH_COUNTS


@pytest.fixture
def supervisor_client(platform: Platform, make_user: Any, client_for: Any, web_app: Any) -> Any:
    pytest.importorskip("records.wiring")
    records_ready(platform)
    make_user("rec-sup", ("supervisor",), "00")
    client = client_for("rec-sup")
    client.csrf = page_csrf(client)
    return client


def _lookup(client: Any, lang: str) -> str:
    client.post("/lang", data={"lang": lang, "csrf_token": client.csrf})
    response = client.post("/api/v1/records/lookup", data={"id_number": DEMO_ID, "reason": "核对养老金发放情况"},
                           headers={"HX-Request": "true", "X-CSRFToken": client.csrf})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_the_record_panel_speaks_chinese_with_money_and_months(supervisor_client: Any) -> None:
    html = _lookup(supervisor_client, "zh")
    text = _text(html)
    for raw in ("id_number", "registered_mobile", "contribution_months", "pension_payments", "bank_account_tail",
                "settled_on", "retired", " ok "):
        assert raw not in text, f"raw key {raw!r} shown"
    for label in ("基本信息", "身份证号", "登记手机", "累计缴费", "养老金发放", "银行卡尾号", "查询成功"):
        assert label in text
    assert re.search(r"\d{1,3}(,\d{3})*\.\d\d 元", text), "money in 元 with two decimals"
    assert re.search(r"\d+ 个月（\d+ 年", text), "contribution months as months and years"
    assert 'class="table-scroll"' in html  # long tables scroll inside the card
    assert "金额（元）" in text  # in tables the unit is in the header, the cells stay narrow


def test_the_record_panel_in_english(supervisor_client: Any) -> None:
    text = _text(_lookup(supervisor_client, "en"))
    assert "Registered mobile" in text and "Pension payments" in text and "¥" in text
    assert "contribution_months" not in text and "身份证号" not in text


# ---- states and messages --------------------------------------------------------------------------

def test_states_and_codes_are_translated(platform: Platform, make_user: Any, client_for: Any, web_app: Any) -> None:
    pytest.importorskip("agents.wiring")
    make_user("state-agent", ("agent",), "11", agent=True)
    client = client_for("state-agent")
    csrf = page_csrf(client)
    hx = {"HX-Request": "true", "X-CSRFToken": csrf}
    client.post("/api/v1/agent/ready", headers=hx)
    call_id = place_call(platform, province="11", verify=False)
    offer = _text(client.get("/api/v1/agent/status", headers={"HX-Request": "true"}).get_data(as_text=True))
    assert "振铃" in offer and "养老保险" in offer and "pension" not in offer
    panel = client.post(f"/api/v1/agent/calls/{call_id}/accept", headers=hx).get_data(as_text=True)
    assert re.search(r'id="call-state" data-state="connected">通话中<', panel), "connected shown in Chinese"
    assert "养老保险" in _text(panel)
    client.post("/lang", data={"lang": "en", "csrf_token": csrf})
    panel_en = client.get(f"/api/v1/agent/calls/{call_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-state="connected">Connected<' in panel_en
    client.post("/lang", data={"lang": "zh", "csrf_token": csrf})
    client.post("/api/v1/agent/wrap-up", data={"disposition": "resolved"}, headers=hx)
    status = _text(client.get("/api/v1/agent/status", headers={"HX-Request": "true"}).get_data(as_text=True))
    assert "已解答 1" in status and "resolved" not in status


def test_unknown_codes_show_as_they_are_and_known_ones_translate() -> None:
    from web.i18n import translate_code

    assert translate_code("ticket", "in_progress", "zh") == "办理中"
    assert translate_code("ticket", "in_progress", "en") == "In progress"
    assert translate_code("ticket", "someday", "zh") == "someday" and translate_code("ticket", None, "zh") == ""


def test_messages_sit_in_the_flow_not_over_the_content(platform: Platform, make_user: Any, client_for: Any,
                                                       web_app: Any) -> None:
    make_user("toast-agent", ("agent",), "11", agent=True)
    html = client_for("toast-agent").get("/agent/").get_data(as_text=True)
    chrome = html.split('<div class="chrome">')[1].split("<main>")[0]
    assert 'id="toast"' in chrome  # under the top bar, before the content
    css = (WEB / "static" / "app.css").read_text()
    toast_rules = " ".join(re.findall(r"\.toast[^{]*\{([^}]*)\}", css))
    assert "position: fixed" not in toast_rules and "position: sticky" in css.split(".chrome {")[1].split("}")[0]


# ---- no ACD internals in the console ----------------------------------------------------------------

@pytest.mark.parametrize("module", ["agent/ops.py", "agent/context.py", "agent/knowledge_ops.py",
                                    "agent/records_ops.py", "agent/tickets_ops.py", "supervisor/ops.py"])
def test_console_ops_use_the_acd_api_not_its_models(module: str) -> None:
    source = (WEB / module).read_text()
    tree = ast.parse(source)
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("agents") for m in imported), imported
    assert "_call" not in re.findall(r'"(_\w+)"', source)


def test_by_agent_report_comes_from_handled_by_agent(platform: Platform, make_user: Any, client_for: Any,
                                                     web_app: Any, monkeypatch: Any) -> None:
    pytest.importorskip("agents.wiring")
    seen: list[tuple[Any, ...]] = []

    def handled(since: Any, until: Any, center_code: Any = None) -> list[dict[str, Any]]:
        seen.append((since, until, center_code))
        return [{"agent_id": 7, "name": "王五", "center_code": "44", "handled": 3, "aht": 95.0,
                 "dispositions": {"resolved": 2, "ticket": 1}}]

    monkeypatch.setattr(platform.agents, "handled_by_agent", handled)
    make_user("rep-sup", ("supervisor",), "44")
    rows = client_for("rep-sup").get("/api/v1/supervisor/reports", query_string={"by": "agent"}).json["rows"]
    assert rows == [{"agent_id": 7, "name": "王五", "center_code": "44", "handled": 3, "aht": 95.0,
                     "disposition_resolved": 2, "disposition_ticket": 1}]
    assert seen and seen[0][2] == "44" and (seen[0][1] - seen[0][0]).days == 7
    table = client_for("rep-sup").get("/api/v1/supervisor/reports", query_string={"by": "agent"},
                                      headers={"HX-Request": "true"}).get_data(as_text=True)
    heads = re.findall(r'<th data-col="[^"]+">([^<]*)</th>', table)
    assert heads == ["坐席号", "坐席", "中心", "处理", "平均处理", "已解答", "已登记工单"]
    assert "95.0 s" in table and "广东省" in table


def test_timestamps_are_shown_in_beijing_time() -> None:
    from web.console import local_time

    assert local_time("2026-11-24T02:00:00+00:00") == "2026-11-24 10:00"
    assert local_time("2026-11-24") == "2026-11-24" and local_time(None) == "" and local_time("soon") == "soon"


# ---- admin: editing users ------------------------------------------------------------------------------

@pytest.fixture
def admin(make_user: Any, client_for: Any, web_app: Any) -> Any:
    user = make_user("adm", ("admin",), "44")
    client = client_for("adm")
    client.csrf = page_csrf(client)
    client.user = user
    return client


def test_an_admin_edits_roles_scope_and_password(platform: Platform, admin: Any, make_user: Any,
                                                  client_for: Any) -> None:
    from tests.web.conftest import login

    target = make_user("worker", ("agent",), "44")
    form = admin.get(f"/api/v1/admin/users/{target.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="user-edit-form"' in form and 'value="agent" checked' in form and "坐席" in form
    saved = admin.post(f"/api/v1/admin/users/{target.id}",
                       data={"roles": ["agent", "supervisor"], "province": "44", "password": "new-password-123"},
                       headers={"HX-Request": "true", "X-CSRFToken": admin.csrf})
    assert saved.status_code == 200 and "用户已更新" in saved.get_data(as_text=True)
    assert platform.accounts.get(target.id).role_set == {"agent", "supervisor"}
    login(platform_client := admin.application.test_client(), "worker", "new-password-123")
    assert platform_client.get("/supervisor/").status_code == 200  # the new role works at once
    entry = platform.audit.entries(action="user.update", subject=f"user:{target.id}")[0]
    assert entry.detail["password_changed"] is True and entry.detail["before"]["roles"] == ["agent"]
    assert "new-password-123" not in str(entry.detail)

    short = admin.post(f"/api/v1/admin/users/{target.id}", json={"roles": ["agent"], "password": "short"},
                       headers={"X-CSRFToken": admin.csrf})
    assert short.status_code == 422
    assert platform.accounts.get(target.id).role_set == {"agent", "supervisor"}  # nothing changed
    outside = admin.post(f"/api/v1/admin/users/{target.id}", json={"province": "11"},
                         headers={"X-CSRFToken": admin.csrf})
    assert outside.status_code == 403 and platform.accounts.get(target.id).province_scope == "44"


def test_an_admin_cannot_remove_their_own_admin_role(platform: Platform, admin: Any) -> None:
    me = admin.user.id
    refused = admin.post(f"/api/v1/admin/users/{me}", json={"roles": ["supervisor"]},
                         headers={"X-CSRFToken": admin.csrf})
    assert refused.status_code == 422 and "admin" in refused.json["error"]
    assert platform.accounts.get(me).role_set == {"admin"}
    form = admin.get(f"/api/v1/admin/users/{me}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'value="admin" checked disabled', form) and 'name="active"' not in form
    kept = admin.post(f"/api/v1/admin/users/{me}", data={"roles": ["supervisor", "admin"], "province": "44"},
                      headers={"X-CSRFToken": admin.csrf})
    assert kept.status_code == 200 and platform.accounts.get(me).role_set == {"admin", "supervisor"}


# ---- callbacks ------------------------------------------------------------------------------------------

def test_supervisors_see_and_dial_pending_callbacks(platform: Platform, make_user: Any, client_for: Any,
                                                    web_app: Any) -> None:
    pytest.importorskip("agents.wiring")
    call_id = place_call(platform, province="44", verify=False)
    platform.clock.advance(platform.agents.missed_after + 5)
    platform.agents.abandon(call_id)
    (pending,) = platform.agents.callbacks(status="pending", center_code="44")
    make_user("cb-sup", ("supervisor",), "44")
    make_user("cb-sup-bj", ("supervisor",), "11")
    sup, other = client_for("cb-sup"), client_for("cb-sup-bj")

    page = sup.get("/supervisor/callbacks").get_data(as_text=True)
    assert 'id="callbacks"' in page and "/api/v1/supervisor/callbacks" in page
    listed = sup.get("/api/v1/supervisor/callbacks", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-callback="{pending["id"]}"' in listed and "138****8000" in listed and "13800138000" not in listed
    assert "未接来电" in listed and "待处理" in listed and "btn-dial" in listed
    assert other.get("/api/v1/supervisor/callbacks").json["callbacks"] == []
    assert other.post(f"/api/v1/supervisor/callbacks/{pending['id']}/dial",
                      headers={"X-CSRFToken": page_csrf(other)}).status_code == 404

    dialled = sup.post(f"/api/v1/supervisor/callbacks/{pending['id']}/dial", headers={"X-CSRFToken": page_csrf(sup)})
    assert dialled.status_code == 200, dialled.json
    assert platform.agents.call_status(dialled.json["call_id"]).state == "callback"
    assert platform.agents.callbacks(status="pending", center_code="44") == []
    assert platform.audit.entries(action="acd.callback.dial", subject=f"callback:{pending['id']}")
    again = sup.post(f"/api/v1/supervisor/callbacks/{pending['id']}/dial", headers={"X-CSRFToken": page_csrf(sup)})
    assert again.status_code == 404  # no longer pending


def test_supervisors_complete_a_callback_with_an_outcome(platform: Platform, make_user: Any, client_for: Any,
                                                          web_app: Any) -> None:
    pytest.importorskip("agents.wiring")
    call_id = place_call(platform, province="44", verify=False)
    platform.clock.advance(platform.agents.missed_after + 5)
    platform.agents.abandon(call_id)
    (pending,) = platform.agents.callbacks(status="pending", center_code="44")
    make_user("cbc-sup", ("supervisor",), "44")
    make_user("cbc-sup-bj", ("supervisor",), "11")
    sup, other = client_for("cbc-sup"), client_for("cbc-sup-bj")
    url = f"/api/v1/supervisor/callbacks/{pending['id']}/complete"

    listed = sup.get("/api/v1/supervisor/callbacks", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "btn-complete" in listed and 'name="outcome"' in listed and "号码错误" in listed
    assert 'name="province" value="44"' in listed
    assert other.post(url, json={"outcome": "reached"}, headers={"X-CSRFToken": page_csrf(other)}).status_code == 404
    assert other.post(url, json={"outcome": "reached", "province": "44"},
                      headers={"X-CSRFToken": page_csrf(other)}).status_code == 403
    bad = sup.post(url, json={"outcome": "maybe"}, headers={"X-CSRFToken": page_csrf(sup)})
    assert bad.status_code == 400 and platform.agents.callbacks(status="pending", center_code="44")  # nothing lost

    done = sup.post(url, json={"outcome": "no_answer", "province": "44"}, headers={"X-CSRFToken": page_csrf(sup)})
    assert done.status_code == 200, done.json
    assert done.json["status"] == "failed" and done.json["outcome"] == "no_answer"
    assert platform.agents.callbacks(status="pending", center_code="44") == []
    assert [cb["id"] for cb in platform.agents.callbacks(status="failed")] == [pending["id"]]
    (entry,) = platform.audit.entries(action="acd.callback.complete", subject=f"callback:{pending['id']}")
    assert entry.actor.startswith("user:") and entry.detail["outcome"] == "no_answer"
    again = sup.post(url, json={"outcome": "reached"}, headers={"X-CSRFToken": page_csrf(sup)})
    assert again.status_code == 404  # no longer pending


# ---- Twilio browser agents --------------------------------------------------------------------------------

def test_the_twilio_sdk_is_vendored_with_its_checksum() -> None:
    from web.agent import TWILIO_SDK

    script = WEB / "static" / "vendor" / TWILIO_SDK
    recorded = (script.parent / (script.name + ".sha256")).read_text().split()
    assert recorded[1] == script.name
    assert hashlib.sha256(script.read_bytes()).hexdigest() == recorded[0]
    assert b"Twilio" in script.read_bytes()[-20000:] or b"Twilio" in script.read_bytes()[:20000]


def _twilio_app(platform: Platform, configured: bool) -> Any:
    from web.app import create_app

    platform.settings = platform.settings.model_copy(
        update={"twilio_account_sid": "AC" + "0" * 32 if configured else None})
    return create_app(platform, {"TESTING": True})


@pytest.mark.parametrize("configured", [True, False])
def test_csp_and_sdk_only_when_twilio_is_configured(platform: Platform, switch_ready: Any, make_user: Any,
                                                     configured: bool) -> None:
    from tests.web.conftest import login
    from web.agent import TWILIO_SDK

    app = _twilio_app(platform, configured)
    make_user("tw-agent", ("agent",), "44", agent=True)
    make_user("tw-noprofile", ("agent",), "44")
    client = login(app.test_client(), "tw-agent")
    response = client.get("/agent/")
    html, csp = response.get_data(as_text=True), response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    if configured:
        assert TWILIO_SDK in html and "softphone.js" in html and 'id="softphone"' in html
        assert 'data-token-url="/twilio/token"' in html
        for source in ("wss://voice-js.twilio.com", "https://eventgw.twilio.com", "wss://*.twilio.com"):
            assert source in directives["connect-src"].split()
        assert directives["connect-src"].split()[0] == "'self'"
        assert "https://sdk.twilio.com" in directives["media-src"].split()
    else:
        assert "twilio" not in html.lower() and "twilio" not in csp
        assert directives["connect-src"] == "'self'"
    no_profile = login(app.test_client(), "tw-noprofile").get("/agent/").get_data(as_text=True)
    assert TWILIO_SDK not in no_profile and 'id="softphone"' not in no_profile


def test_the_softphone_answers_only_the_accepted_call() -> None:
    script = (WEB / "static" / "softphone.js").read_text()
    assert 'customParameters.get("call_id")' in script and "acceptedCallId()" in script
    assert "device.register()" in script and "tokenWillExpire" in script and "<script" not in script


# ---- reverse proxy ---------------------------------------------------------------------------------------

def test_proxy_fix_is_off_by_default_and_follows_the_setting(switch_ready: Any) -> None:
    from web.app import create_app, proxy_fix_options

    headers = {"X-Forwarded-Prefix": "/hotline", "X-Forwarded-Host": "12333.example.cn",
               "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    referer = {"Referer": "https://12333.example.cn/hotline/agent/"}
    config = {"TESTING": True, "WTF_CSRF_ENABLED": False}
    plain = create_app(switch_ready, config, environ={}).test_client()
    assert plain.application.config["PROXY_FIX"] == {}
    assert plain.get("/", headers=headers).headers["Location"] == "/login"
    assert plain.post("/lang", data={"lang": "en"}, headers=headers | referer).headers["Location"] == "/"

    proxied = create_app(switch_ready, config,
                         environ={"HOTLINE_PROXY_FIX": "x_for=1,x_proto=1,x_host=1,x_prefix=1"}).test_client()
    assert proxied.get("/", headers=headers).headers["Location"] == "/hotline/login"
    # the client's scheme and host: a same-site referer behind the proxy is honoured
    back = proxied.post("/lang", data={"lang": "en"}, headers=headers | referer).headers["Location"]
    assert back == referer["Referer"]

    assert proxy_fix_options("x_for=2, x_proto=1") == {"x_for": 2, "x_proto": 1}
    for bad in ("x_for", "x_for=yes", "x_forwarded=1"):
        with pytest.raises(ValueError, match="HOTLINE_PROXY_FIX"):
            proxy_fix_options(bad)
