"""Browser tests: Debian's Chromium driven by Playwright against the console served by werkzeug in a
thread (real services, SQLite, in-process bus). An agent takes a call end to end while a supervisor
watches the wallboard change live; an editor edits, a reviewer publishes, the agent finds it.
Each main screen is saved to docs/screenshots/ (docs/console.md shows them)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import PASSWORD
from tests.web.scenario import place_call, publish_article, records_ready

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def server(platform: Platform, make_user: Any) -> Iterator[dict[str, Any]]:
    """The console on a free loopback port, with a Beijing agent, supervisors, editor and reviewer."""
    _require_chromium()
    pytest.importorskip("playwright.sync_api")
    from werkzeug.serving import make_server

    from web.app import create_app

    platform.switch.ensure_directory()
    records_ready(platform)
    platform.sms.templates.seed_defaults()
    make_user("agent", ("agent",), "11", agent=True)
    make_user("supervisor", ("supervisor",), "00")
    editor = make_user("editor", ("editor",), "00")
    reviewer = make_user("reviewer", ("reviewer",), "00")
    make_user("admin", ("admin",), "00")
    article = publish_article(platform, editor, reviewer, title="养老金领取条件",
                              short_answer="缴费满15年且达到法定退休年龄，可按月领取基本养老金。",
                              body="<p>累计缴费满15年，达到法定退休年龄后按月领取。</p>",
                              questions=["养老金什么时候可以领", "领取养老金的条件"], category="pension")
    app = create_app(platform, {"SSE_HEARTBEAT": 1.0, "SSE_MAX_SECONDS": 120})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "platform": platform, "article": article}
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def _login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button")
    page.wait_for_load_state("networkidle")
    return page


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _tile(page: Any, tile_id: str) -> int:
    return int(re.sub(r"\D", "", page.inner_text(f"#{tile_id} .v")) or 0)


def _box(page: Any, selector: str) -> dict[str, float]:
    return page.eval_on_selector(selector, "el => { const r = el.getBoundingClientRect();"
                                           " return {x: r.left, y: r.top, w: r.width, h: r.height}; }")


def _assert_fits_and_uncovered(page: Any) -> None:
    """The record panel stays inside its card, and the message strip covers none of it."""
    card = _box(page, "#record")
    card_right = page.eval_on_selector("#record", "el => el.closest('.card').getBoundingClientRect().right")
    widest = page.eval_on_selector_all("#record-result *", "els => Math.max(...els.map(e => "
                                                          "e.closest('.table-scroll') && e.tagName !== 'DIV' ? 0 :"
                                                          " e.getBoundingClientRect().right))")
    assert widest <= card_right + 0.5, (widest, card_right)
    toast = _box(page, "#toast")
    overlaps = not (toast["y"] + toast["h"] <= card["y"] or card["y"] + card["h"] <= toast["y"]
                    or toast["x"] + toast["w"] <= card["x"] or card["x"] + card["w"] <= toast["x"])
    assert not overlaps or toast["h"] == 0, (toast, card)


def test_agent_call_end_to_end_with_live_wallboard(server: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    base, platform = server["url"], server["platform"]
    login_page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    login_page.goto(base + "/login")
    _shot(login_page, "login")

    sup = _login(browser, base, "supervisor")
    assert sup.url.endswith("/supervisor/")
    sup.wait_for_selector("#wb-offered")
    sup.wait_for_function("window.hotlineLive && window.hotlineLive.connected")
    offered_before = _tile(sup, "wb-offered")

    agent = _login(browser, base, "agent")
    assert agent.url.endswith("/agent/")
    agent.wait_for_function("window.hotlineLive && window.hotlineLive.connected")
    agent.click("#btn-ready")
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready")
    _shot(agent, "agent-ready")

    call_id = place_call(platform, province="11")  # the ACD offers it to the only ready agent
    expect(agent.locator("#btn-accept")).to_be_visible()  # arrived over SSE, no reload
    expect(agent.locator("#offer-caller")).to_have_text("138****8000")
    _shot(agent, "agent-offer")
    expect(sup.locator("#wb-offered .v")).to_have_text(str(offered_before + 1))  # the wallboard moved live
    expect(sup.locator("#chart rect.bar")).to_have_count(1)  # the day chart too
    _shot(sup, "supervisor-wallboard")

    agent.click("#btn-accept")
    panel = agent.locator("#call-panel")
    expect(panel).to_be_visible()
    # the supervisor types a phone to listen in; the wallboard re-renders meanwhile (every agent or call
    # event does it): what was typed stays
    agent_id = platform.agents.agents_live("11")[0].agent_id
    typed = sup.locator(f"tr[data-agent='{agent_id}'] input[name=endpoint]")
    typed.fill("PJSIP/sup-1")
    sup.evaluate("""() => new Promise(done => {
        const swapped = e => { if (e.detail.target.id === 'wallboard') {
            document.body.removeEventListener('htmx:afterSwap', swapped); done(); } };
        document.body.addEventListener('htmx:afterSwap', swapped);
        document.body.dispatchEvent(new Event('hl-reset'));
    })""")
    expect(sup.locator(f"tr[data-agent='{agent_id}'] input[name=endpoint]")).to_have_value("PJSIP/sup-1")
    expect(agent.locator("#call-caller")).to_contain_text("138****8000")
    expect(agent.locator("#call-identity")).to_have_text("110105********002X")
    assert "13800138000" not in agent.content()
    expect(agent.locator("#kb-call")).to_have_value(call_id)

    agent.fill("#kb-q", "养老金什么时候可以领")
    agent.click("#kb-form button")
    hit = agent.locator(f".hit[data-article='{server['article']}']")
    expect(hit).to_be_visible()
    hit.locator(".sms-btn").click()
    expect(agent.locator("#toast")).to_contain_text("短信已提交")
    outbox = platform.sms.recent(5)
    assert outbox and outbox[0].get("template") in ("kb_answer", None)

    agent.click("#record-form button")
    expect(agent.locator("#record-result")).to_have_attribute("data-status", "ok")
    expect(agent.locator("#record-result")).to_contain_text("累计缴费")  # labelled, not contribution_months
    assert "contribution_months" not in agent.inner_text("#record-result")
    _assert_fits_and_uncovered(agent)
    _shot(agent, "agent-call-panel")
    assert platform.audit.entries(action="record.lookup", session_id=call_id)[0].outcome == "ok"

    agent.click("#call-panel summary:has-text('生成工单')")
    agent.fill("#call-panel input[name=subject]", "养老金待遇核对")
    agent.fill("#call-panel textarea[name=details]", "来电人对待遇发放有疑问，请经办机构回电")
    agent.click("#call-panel form:has(input[name=subject]) button")
    expect(agent.locator("#toast")).to_contain_text("工单已生成")

    agent.select_option("#wrap-disposition", "sms_sent")
    agent.click("#btn-wrap")
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready")
    expect(agent.locator("#today-handled")).to_have_text("1")
    assert platform.agents.call_status(call_id).state == "ended"
    expect(sup.locator("#wb-answered .v")).not_to_have_text("0")

    agent.goto(base + "/agent/tickets")
    agent.wait_for_selector("#ticket-list")
    expect(agent.locator("#ticket-list")).to_contain_text("养老金待遇核对")
    expect(agent.locator("#ticket-list")).to_contain_text("待办")  # the status in Chinese, not "open"
    _shot(agent, "agent-tickets")
    sup.goto(base + "/supervisor/reports")
    sup.click("#report-form button")
    sup.wait_for_selector("#report-table")
    _shot(sup, "supervisor-reports")

    missed = place_call(platform, province="11", caller="13911112222", verify=False)  # nobody ready: it waits
    agent.goto(base + "/agent/")
    platform.clock.advance(platform.agents.missed_after + 5)
    platform.agents.abandon(missed)
    sup.goto(base + "/supervisor/callbacks")
    expect(sup.locator("#callback-list")).to_contain_text("139****2222")
    expect(sup.locator("#callback-list")).to_contain_text("未接来电")
    _shot(sup, "supervisor-callbacks")
    sup.click("#callback-list .btn-dial")
    expect(sup.locator("#toast")).to_contain_text("已加入回拨队列")


def test_editor_edits_reviewer_publishes_agent_finds(server: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    base, article = server["url"], server["article"]
    editor = _login(browser, base, "editor")
    assert editor.url.endswith("/editor/")
    editor.wait_for_selector("#article-list")
    _shot(editor, "editor-list")
    editor.goto(f"{base}/editor/articles/{article}")
    new_answer = "男年满60周岁、女年满50或55周岁且缴费满15年，可领取养老金。"
    editor.fill("#f-short", new_answer)
    editor.click("text=预览")
    expect(editor.locator("#preview-box")).to_contain_text(new_answer)
    editor.click("#btn-save")
    expect(editor.locator("#saved-ok")).to_be_visible()
    editor.goto(f"{base}/editor/articles/{article}")
    editor.click("#btn-submit")
    expect(editor.locator("#saved")).to_contain_text("待审核")
    _shot(editor, "editor-article")

    reviewer = _login(browser, base, "reviewer")
    reviewer.goto(f"{base}/editor/articles/{article}")
    reviewer.fill("form:has(#btn-approve) input[name=comment]", "核对无误")
    reviewer.click("#btn-approve")
    expect(reviewer.locator("#saved")).to_contain_text("已发布")

    agent = _login(browser, base, "agent")
    agent.fill("#kb-q", "养老金什么时候可以领")
    agent.click("#kb-form button")
    expect(agent.locator(f".hit[data-article='{article}']")).to_contain_text(new_answer)

    admin = _login(browser, base, "admin")
    admin.wait_for_selector("#user-list")
    admin.wait_for_load_state("networkidle")
    admin.click("tr[data-user='agent'] .btn-edit-user")
    expect(admin.locator("#user-edit-form")).to_be_visible()
    admin.check("#user-edit-form input[value='supervisor']")
    admin.click("#btn-save-user")
    expect(admin.locator("#users-saved")).to_be_visible()
    expect(admin.locator("tr[data-user='agent']")).to_contain_text("班长")
    admin.click("tr[data-user='agent'] .btn-edit-user")
    expect(admin.locator("#user-edit-form")).to_be_visible()
    _shot(admin, "admin")
    # max concurrent on the agent's profile: voice is one call, the work orders at once are set here
    acd = server["platform"].agents
    agent_id = acd.profiles("11")[0].id
    row = admin.locator(f"tr[data-agent='{agent_id}']")
    expect(row.locator(".agent-concurrency")).to_contain_text("语音 1 通（固定）")
    row.locator("details.agent-edit summary").click()
    row.locator("input[name=max_tickets]").fill("3")
    row.locator("details.agent-edit button.primary").click()
    expect(admin.locator("#toast")).to_contain_text("已保存")
    assert acd.profile(agent_id).max_tickets == 3
    # a queue's maximum wait and overflow: Guangdong's pension queue waits 5 minutes, then a callback
    admin.select_option("#queue-center", "44")
    queue_row = admin.locator("tr[data-queue='44-pension']")
    queue_row.locator("input[name=max_wait]").fill("300")
    queue_row.locator("select[name=overflow_action]").select_option("callback")
    queue_row.locator("button.primary").click()
    expect(admin.locator("#queues .flash")).to_contain_text("44-pension 已保存")
    assert (acd.queue("44-pension").max_wait, acd.queue("44-pension").overflow_action) == (300, "callback")
    admin.click("#lang-switch")
    expect(admin.locator("h2").first).to_contain_text("Users and roles")


FAKE_TWILIO = """
window.fakeTwilio = {registered: false, accepted: [], rejected: [], calls: {}, token: null};
function FakeCall(callId) {
  var handlers = {}, params = new Map(callId ? [["call_id", callId]] : []);
  var call = {customParameters: params, on: function (n, f) { handlers[n] = f; },
              accept: function () { window.fakeTwilio.accepted.push(callId); },
              reject: function () { window.fakeTwilio.rejected.push(callId); },
              disconnect: function () { (handlers.disconnect || function () {})(); }};
  return call;
}
window.Twilio = {Device: function (token) {
  var handlers = {};
  window.fakeTwilio.token = token;
  this.on = function (n, f) { handlers[n] = f; };
  this.register = function () { window.fakeTwilio.registered = true; (handlers.registered || function () {})();
                                return Promise.resolve(); };
  this.updateToken = function () {};
  window.fakeTwilio.ring = function (callId) { handlers.incoming(new FakeCall(callId)); };
}};
"""


@pytest.fixture
def twilio_server(platform: Platform, make_user: Any) -> Iterator[dict[str, Any]]:
    """The console with the browser phone switched on (Twilio itself replaced in the page)."""
    _require_chromium()
    pytest.importorskip("playwright.sync_api")
    from werkzeug.serving import make_server

    from web.app import create_app

    platform.switch.ensure_directory()
    records_ready(platform)
    make_user("agent", ("agent",), "11", agent=True)
    app = create_app(platform, {"TWILIO_BROWSER": True, "SSE_HEARTBEAT": 1.0, "SSE_MAX_SECONDS": 120})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "platform": platform}
    httpd.shutdown()
    thread.join(timeout=10)


def test_the_browser_phone_answers_only_the_accepted_call(twilio_server: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    base, platform = twilio_server["url"], twilio_server["platform"]
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    # the real SDK talks to Twilio; here a stand-in records what the console asks of it
    context.route("**/static/vendor/twilio-voice-*.min.js",
                  lambda route: route.fulfill(status=200, content_type="application/javascript", body=FAKE_TWILIO))
    context.route("**/twilio/token", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                 body='{"token": "tok-1", "identity": "agent-1"}'))
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button")
    page.wait_for_function("() => window.fakeTwilio && window.fakeTwilio.registered")
    assert page.evaluate("window.fakeTwilio.token") == "tok-1"
    expect(page.locator("#softphone")).to_have_attribute("data-status", "ready")
    expect(page.locator("#softphone")).to_contain_text("已就绪")

    page.wait_for_function("() => window.hotlineLive && window.hotlineLive.connected")
    page.click("#btn-ready")
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready")
    call_id = place_call(platform, province="11", verify=False)
    expect(page.locator("#btn-accept")).to_be_visible()
    page.evaluate("window.fakeTwilio.ring('someone-else')")  # not the accepted call: left ringing
    page.evaluate(f"window.fakeTwilio.ring('{call_id}')")  # arrives before the agent clicks accept
    assert page.evaluate("window.fakeTwilio.accepted") == []
    expect(page.locator("#softphone")).to_have_attribute("data-status", "ringing")
    page.click("#btn-accept")
    expect(page.locator("#call-panel")).to_be_visible()
    page.wait_for_function(f"() => window.fakeTwilio.accepted.indexOf('{call_id}') >= 0")
    assert page.evaluate("window.fakeTwilio.accepted") == [call_id]
    expect(page.locator("#softphone")).to_have_attribute("data-status", "connected")
    page.evaluate("window.fakeTwilio.ring('')")  # a leg without a call id is refused
    assert page.evaluate("window.fakeTwilio.rejected") == [""]
    context.close()


def test_a_test_call_from_the_console_reaches_an_agent(server: dict[str, Any], browser: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A supervisor places a test call on the test-call page; the agent (a second browser context)
    gets the offer, accepts, holds and hangs up; the supervisor's page shows what the caller hears."""
    from playwright.sync_api import expect

    from ivr.service import DEFAULT_FLOW

    base, platform = server["url"], server["platform"]
    monkeypatch.setenv("HOTLINE_DEMO_OPEN_24H", "1")  # the fake clock's hour must not close Beijing
    platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")

    agent = _login(browser, base, "agent")
    agent.wait_for_function("window.hotlineLive && window.hotlineLive.connected")
    agent.click("#btn-ready")
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready")

    sup = _login(browser, base, "supervisor")
    sup.click("a.nav:has-text('测试来电')")
    expect(sup.locator("#tc-call")).to_be_enabled()
    sup.click("#tc-call")
    transcript = sup.locator("#tc-transcript")
    expect(transcript).to_contain_text("欢迎致电12333")
    expect(sup.locator("#tc-state")).to_have_text("等待说话或按键")  # the main menu takes speech too
    sup.click("#tc-keypad .key[data-key='0']")
    expect(transcript).to_contain_text("系统识别您的参保地为北京市")
    sup.click("#tc-keypad .key[data-key='1']")
    expect(sup.locator("#tc-state")).to_have_class(re.compile(r"\bhold\b"))

    expect(agent.locator("#btn-accept")).to_be_visible()  # the offer arrived over SSE
    expect(agent.locator("#offer-caller")).to_have_text("138****8000")
    agent.bring_to_front()
    agent.keyboard.press("Alt+A")  # the accept shortcut
    expect(agent.locator("#call-panel")).to_be_visible()
    expect(agent.locator("#call-inputs")).to_contain_text("0")
    assert "{'node'" not in agent.inner_text("#call-panel")
    expect(transcript).to_contain_text("坐席已接听")
    expect(sup.locator("#tc-state")).to_have_text("正在与坐席通话")
    agent.click("#btn-hold")
    expect(transcript).to_contain_text("您听到等待音乐")
    sup.fill("#tc-text", "您好，我想问退休手续")
    sup.click("#tc-say-btn")
    expect(transcript).to_contain_text("对坐席说：您好，我想问退休手续")
    _shot(sup, "test-call")
    agent.click("#btn-hangup")
    expect(transcript).to_contain_text("请对本次服务进行评价")
    sup.click("#tc-keypad .key[data-key='1']")
    expect(sup.locator("#tc-state")).to_have_text("通话已结束")
    expect(sup.locator("#tc-hangup")).to_be_disabled()
    expect(agent.locator("#call-state")).to_have_attribute("data-state", "wrap_up")  # not "通话中" any more
    agent.bring_to_front()
    agent.keyboard.press("Alt+W")  # wrap up (resolved) and ready again: the panel is cleared
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready")
    expect(agent.locator("#call-panel")).to_have_count(0)
    expect(agent.locator("#call")).to_contain_text("当前没有通话")
    call_id = sup.inner_text("#tc-id")
    assert call_id.startswith("test-") and platform.agents.call_status(call_id).state == "ended"


def test_reports_csv_follows_the_form_and_satisfaction_explains_its_scale(server: dict[str, Any],
                                                                          browser: Any) -> None:
    from playwright.sync_api import expect

    sup = _login(browser, server["url"], "supervisor")
    sup.goto(server["url"] + "/supervisor/reports")
    sup.select_option("#report-form select[name=by]", "agent")
    sup.fill("#report-form input[name=from]", "2026-11-01")
    sup.fill("#report-form input[name=to]", "2026-11-30")
    href = sup.get_attribute("#csv-link", "href") or ""
    assert "by=agent" in href and "from=2026-11-01" in href and "to=2026-11-30" in href and "format=csv" in href
    expect(sup.locator("#satisfaction-scale")).to_contain_text("1 非常满意")
    expect(sup.locator("#satisfaction-scale")).to_contain_text("满意率 = 选 1 或 2 的比例")
    sup.click("#report-form button")
    expect(sup.locator("#report-table")).to_be_visible()
