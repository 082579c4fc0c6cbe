"""Demo knowledge base for `hotline init --demo`: about 120 articles written for this project across the
nine 12333 libraries, with provincial variants (knowledge/demo_data/articles.jsonl; marked as
demonstration content, figures illustrative), published, plus two active notices (one national, one for
Guangdong). Idempotent: unchanged articles are left alone and each notice is posted once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from knowledge.api import KnowledgeHost
from knowledge.events import KbNoticesChanged
from knowledge.models import KbNotice
from knowledge.transfer import import_file

DATA = Path(__file__).resolve().parent / "demo_data" / "articles.jsonl"
NOTICE_TITLE = "系统升级期间暂停部分网上业务"
NOTICE_BODY = ("<p>社会保险信息系统升级期间，网上服务大厅的养老保险关系转移申请暂停受理，"
               "可到经办窗口办理或升级完成后再申请。其他业务正常办理。（演示通知）</p>")
# (title, body, province, article)
NOTICES = (
    (NOTICE_TITLE, NOTICE_BODY, "00", "demo-yl-04"),
    ("广东社保卡服务网点周末暂停即时制卡", "<p>本周六、周日广东省社保卡服务网点设备维护，暂停即时制卡，"
     "激活和挂失可在粤省事办理。（演示通知）</p>", "44", "demo-sk-03"),
)


def load_demo(platform: KnowledgeHost) -> str:
    kb = platform.knowledge
    report = import_file(kb, DATA, publish=True)
    now = platform.clock.now()
    posted = 0
    with platform.db.session() as s:
        for title, body, province, article_id in NOTICES:
            if s.execute(select(KbNotice.id).where(KbNotice.title == title)).first():
                continue
            s.add(KbNotice(title=title, body_html=body, province=province, article_id=article_id,
                           starts_at=now, ends_at=now + timedelta(days=90), created_by=None, created_at=now,
                           withdrawn=False))
            posted += 1
    if posted:
        platform.bus.emit(KbNoticesChanged(origin="demo"))  # nodes re-read their notices
    return (f"knowledge: {report.created + report.updated + report.published + report.unchanged} demo articles "
            f"({report.created} new, {report.updated} updated), {posted} notices posted")
