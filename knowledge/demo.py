"""Demo knowledge base for `hotline init --demo`: about forty articles written for this project
(knowledge/demo_data/articles.jsonl; figures are illustrative), published, plus one active notice.
Idempotent: unchanged articles are left alone and the notice is posted once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from knowledge.models import KbNotice
from knowledge.transfer import import_file

DATA = Path(__file__).resolve().parent / "demo_data" / "articles.jsonl"
NOTICE_TITLE = "系统升级期间暂停部分网上业务"
NOTICE_BODY = ("<p>社会保险信息系统升级期间，网上服务大厅的养老保险关系转移申请暂停受理，"
               "可到经办窗口办理或升级完成后再申请。其他业务正常办理。（演示通知）</p>")


def load_demo(platform: Any) -> str:
    kb = platform.knowledge
    report = import_file(kb, DATA, publish=True)
    now = platform.clock.now()
    with platform.db.session() as s:
        exists = s.execute(select(KbNotice.id).where(KbNotice.title == NOTICE_TITLE)).first()
        if not exists:
            s.add(KbNotice(title=NOTICE_TITLE, body_html=NOTICE_BODY, province="00", article_id="demo-yl-04",
                           starts_at=now, ends_at=now + timedelta(days=90), created_by=None, created_at=now,
                           withdrawn=False))
    return (f"knowledge: {report.created + report.updated + report.published + report.unchanged} demo articles "
            f"({report.created} new, {report.updated} updated), notice {'kept' if exists else 'posted'}")
