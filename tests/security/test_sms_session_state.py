"""Item 19: between `CX <ID>` and the code reply, nothing in the shared state store (keys or values,
in-process or real Redis) holds the ID number or the sender's number in clear; the code reply still
completes the query on the ID that was asked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from core.events import InProcessBus
from hotline.platform import Platform
from sms.models import OutboxMessage
from tests.conftest import make_settings
from tests.security.test_sms_records import with_records_and_sms

DEMO_ID, DEMO_MOBILE = "11010519491231002X", "13900001234"  # the records' demo citizen


@pytest.fixture
def real(tmp_path: Path, clock: FakeClock, any_store: Any, core_file: Path,
         demo_hashes: dict[str, str]) -> Iterator[Platform]:
    """A platform on each state store (in-process and real Redis) with records and SMS."""
    p = Platform(make_settings(tmp_path), clock=clock, store=any_store, bus=InProcessBus("test-node", clock))
    p.migrate()
    yield with_records_and_sms(p, core_file, demo_hashes)
    p.close()


def dump(store: Any) -> str:
    """Every key and every value in the store, as one text."""
    parts: list[str] = []
    for key in store.keys("*"):
        parts.append(key)
        for read in (store.get, store.hgetall, store.smembers, store.zrange):
            try:
                parts.append(repr(read(key)))
                break
            except Exception:  # noqa: BLE001 - wrong type for this key: try the next reader
                continue
    return "\n".join(parts)


def test_the_pending_cx_query_holds_no_id_or_number_in_clear(real: Platform) -> None:
    reply = real.smschat.handle_inbound(DEMO_MOBILE, f"CX {DEMO_ID}", provider="test")
    assert "验证码" in reply
    state = dump(real.store)
    assert "sms:session:" in state  # the session exists ...
    assert DEMO_ID not in state and DEMO_ID[:17] not in state  # ... without the ID
    assert DEMO_MOBILE not in state  # ... and without the sender's number
    with real.db.session() as s:
        otp = s.execute(select(OutboxMessage).where(OutboxMessage.category == "otp")).scalars().one()
    import re

    code = re.search(r"\d{6}", otp.text).group(0)  # type: ignore[union-attr]
    assert real.smschat.handle_inbound(DEMO_MOBILE, code, provider="test") in (None, "")
    with real.db.session() as s:
        summaries = s.execute(select(OutboxMessage).where(OutboxMessage.template == "record_summary")).scalars()
        assert [m.recipient for m in summaries] == ["+86" + DEMO_MOBILE]
    assert "sms:session:" not in dump(real.store)
