"""Crash safety: a dispatcher subprocess is killed with SIGKILL at random moments during a batch and
restarted; every message reaches the loopback sink exactly once (the sink counts by our id, as a
de-duplicating gateway does), and nothing is lost in the outbox."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from sms.models import OutboxMessage
from tests.conftest import make_settings
from tests.support.emulators.sms.http_sink import HttpSink

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = int(os.environ.get("HOTLINE_SMS_KILL_MESSAGES", "5000"))
BATCH = 50


def _dispatcher_env(tmp: Path, db_url: str, sink_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "HOTLINE_DATA_DIR": str(tmp), "DATABASE_URL": db_url, "HOTLINE_SECRET_KEY": "k",
        "HOTLINE_HANDOFF_SECRET": "h", "HOTLINE_SMS_PROVIDERS": "kannel", "HOTLINE_SMS_KANNEL_URL": sink_url,
        "HOTLINE_SMS_LEASE_SECONDS": "1", "HOTLINE_SMS_RATE": "100000", "HOTLINE_SMS_BATCH": str(BATCH),
        "HOTLINE_SMS_WORKERS": "4", "PYTHONPATH": str(ROOT),
    })
    env.pop("REDIS_URL", None)
    return env


@pytest.mark.slow
def test_sigkill_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    clock = FakeClock(time.time())
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    platform = Platform(make_settings(tmp_path, database_url=db_url), clock=clock, store=MemoryStore(clock),
                        bus=InProcessBus("test", clock))
    platform.migrate()
    report = platform.sms.bulk("kb_answer", [(f"139{i:08d}", {"title": "通知", "answer": f"第{i}条"})
                                             for i in range(MESSAGES)], category="reply", batch_id="kill")
    assert report.queued == MESSAGES
    rng = random.Random(int(os.environ.get("HOTLINE_SMS_KILL_SEED", "12333")))
    cmd = [sys.executable, "-m", "hotline.cli", "sms", "dispatch", "--until-empty"]
    kills = 0
    with HttpSink() as sink:
        env = _dispatcher_env(tmp_path, db_url, sink.url)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if kills < 6 and sink.state.unique < MESSAGES * 0.9:
                # kill once it is sending: at a random moment in the middle of the batch
                start = sink.state.total_requests
                while proc.poll() is None and sink.state.total_requests < start + rng.randint(1, 400):
                    time.sleep(0.005)
                time.sleep(rng.random() * 0.05)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                proc.wait()
                continue
            _out, err = proc.communicate(timeout=200)
            assert proc.returncode == 0, err.decode()[-2000:]
            with platform.db.session() as s:
                pending = s.execute(select(func.count()).where(OutboxMessage.status.in_(("queued", "sending"))))
                if pending.scalar() == 0:
                    break
        with platform.db.session() as s:
            statuses = dict(s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        counts = dict(sink.state.requests)
    platform.close()
    assert kills >= 3, "the dispatcher finished before it could be killed"
    assert statuses == {"sent": MESSAGES}
    assert set(counts) == {f"hl-{i}" for i in range(1, MESSAGES + 1)}  # every message arrived, once each
    resent = sum(n - 1 for n in counts.values())
    # a resend only ever concerns a message in flight when its dispatcher died (at most one batch per kill)
    assert resent <= kills * BATCH
    assert max(counts.values()) <= kills + 1
    print(f"kills={kills} messages={MESSAGES} resent-and-deduplicated={resent}")
