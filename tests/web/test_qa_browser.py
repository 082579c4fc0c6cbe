"""Browser walk of quality review (Debian's Chromium, Playwright): a QA reviewer of Guangdong builds
a scoring form, queues the week's sample, scores a sampled call while its recording plays in the
HTML5 player (a time-stamped comment, a critical item), the agent sees and acknowledges the review,
and the reviewer reads the report and downloads its CSV."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.platform import Platform
from tests.recordings.helpers import stereo_wav
from tests.web.test_browser import _require_chromium, _shot, browser  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def qa_server(platform: Platform, make_user: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    _require_chromium()
    pytest.importorskip("playwright.sync_api")
    from werkzeug.serving import make_server

    from web.app import create_app

    platform.switch.ensure_directory()
    agent_user = make_user("agent-gd", ("agent",), "44", agent=True)
    make_user("qa-gd", ("qa",), "44")
    agent_id = platform.agents.agent_for_user(agent_user.id).id
    wav = stereo_wav(tmp_path / "call.wav", 4.0)
    for n in range(3):
        platform.recordings.store_file(f"ast-1795.{n}", wav, channel="import", agent_id=agent_id,
                                       source_ref=f"walk-{n}")
    app = create_app(platform)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "platform": platform, "agent_id": agent_id}
    httpd.shutdown()
    thread.join(timeout=10)


def _login(browser: Any, base: str, username: str) -> Any:  # noqa: F811 - `browser` is the fixture
    from tests.web.conftest import PASSWORD

    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button")
    page.wait_for_load_state("networkidle")
    return page


def test_form_sample_review_acknowledge_report(qa_server: dict[str, Any], browser: Any) -> None:  # noqa: F811
    base, platform = qa_server["url"], qa_server["platform"]
    qa = _login(browser, base, "qa-gd")

    # a scoring form of Guangdong: weighted criteria, one critical
    qa.goto(base + "/qa/forms")
    qa.fill("#new-form input[name=name]", "广东12333质检表")
    qa.fill("#new-form textarea[name=criteria]",
            "greeting|开场问候|10|no\npolicy|政策口径准确|60|是\nclosing|结束语|30|no")
    qa.click("#new-form button")
    assert "广东12333质检表" in qa.inner_text("main")

    # the week's sample: at least one call per agent
    qa.goto(base + "/qa/")
    qa.fill("#sample-form input[name=minimum]", "1")
    qa.click("#sample")
    rows = qa.locator("#queue tbody tr a")
    assert rows.count() == 1
    rows.first.click()
    qa.wait_for_selector("#player")
    duration = qa.wait_for_function("() => { const p = document.getElementById('player');"
                                    " return p.readyState >= 1 && p.duration > 3 ? p.duration : false; }").json_value()
    assert 3.5 < duration < 4.5  # Chromium decoded the stored Opus through the signed, ranged link
    qa.eval_on_selector("#player", "p => { p.currentTime = 2.5; }")
    qa.wait_for_function("() => parseFloat(document.getElementById('offset').value) >= 2.4")
    qa.fill("#comment-form input[name=text]", "口径解释准确，语速偏快")
    qa.click("#comment-form button")
    assert "2.5s" in qa.inner_text("#comments")
    qa.check("input[name=mark_greeting][value=pass]")
    qa.check("input[name=mark_policy][value=pass]")
    qa.check("input[name=mark_closing][value=partial]")
    _shot(qa, "qa-review")
    qa.click("#submit-review")
    assert "85" in qa.inner_text("#total")  # 10 + 60 + 30/2 of 100

    # the agent sees the review and acknowledges it (once)
    agent = _login(browser, base, "agent-gd")
    agent.goto(base + "/qa/mine")
    agent.click("#mine tbody tr a")
    assert "口径解释准确" in agent.inner_text("#comments")
    agent.click("#acknowledge")
    assert "acknowledged" in agent.inner_text("#ack")
    assert agent.locator("#acknowledge").count() == 0

    # the report per agent, and its CSV
    qa.goto(base + "/qa/report?by=agent")
    cells = qa.inner_text("#report tbody")
    assert str(qa_server["agent_id"]) in cells and "85" in cells
    with qa.expect_download() as download:
        qa.click("#csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "week,key,reviews,average,critical_failures,disputes"
    assert f",{qa_server['agent_id']},1,85.0,0,0" in text
    listens = platform.audit.entries(action="recording.listen")
    assert listens and listens[0].outcome == "ok"
