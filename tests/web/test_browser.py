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
def server(platform: Any, make_user: Any) -> Iterator[dict[str, Any]]:
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
    _shot(agent, "agent-call-panel")
    assert platform.audit.entries(action="record.lookup", session_id=call_id)[0].outcome == "ok"

    agent.select_option("#wrap-disposition", "sms_sent")
    agent.click("#btn-wrap")
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready")
    expect(agent.locator("#today-handled")).to_have_text("1")
    assert platform.agents.call_status(call_id).state == "ended"
    expect(sup.locator("#wb-answered .v")).not_to_have_text("0")

    agent.goto(base + "/agent/tickets")
    agent.wait_for_selector("#ticket-list")
    _shot(agent, "agent-tickets")
    sup.goto(base + "/supervisor/reports")
    sup.click("#report-form button")
    sup.wait_for_selector("#report-table")
    _shot(sup, "supervisor-reports")


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
    expect(editor.locator("#saved")).to_contain_text("in_review")
    _shot(editor, "editor-article")

    reviewer = _login(browser, base, "reviewer")
    reviewer.goto(f"{base}/editor/articles/{article}")
    reviewer.fill("form:has(#btn-approve) input[name=comment]", "核对无误")
    reviewer.click("#btn-approve")
    expect(reviewer.locator("#saved")).to_contain_text("published")

    agent = _login(browser, base, "agent")
    agent.fill("#kb-q", "养老金什么时候可以领")
    agent.click("#kb-form button")
    expect(agent.locator(f".hit[data-article='{article}']")).to_contain_text(new_answer)

    admin = _login(browser, base, "admin")
    admin.wait_for_selector("#user-list")
    admin.wait_for_load_state("networkidle")
    _shot(admin, "admin")
    admin.click("#lang-switch")
    expect(admin.locator("h2").first).to_contain_text("Users and roles")
