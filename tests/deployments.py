"""Two deployments for handoff tests: each its own data directory, database (HOTLINE_CENTER differs),
state store and Flask app served on a loopback port (the handoff API), sharing the handoff secret."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from core.accounts import hash_password
from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from ivr.service import DEFAULT_FLOW
from records.demo_citizens import BY_ID
from records.models import ServicePassword
from tests.conftest import make_settings

GD_ID = "44010619880315003X"  # insured in Guangzhou, registered mobile a Beijing number (13901001234)


class Deployment:
    def __init__(self, tmp: Path, clock: FakeClock, name: str, center: str, core: Path, **settings: Any) -> None:
        from web.app import create_app

        data = tmp / name
        data.mkdir()
        shutil.copy(core, data / "core-records.db")
        self.platform = Platform(make_settings(data, node_id=name, center_code=center, **settings), clock=clock,
                                 store=MemoryStore(clock), bus=InProcessBus(name, clock))
        self.platform.migrate()
        self.platform.switch.ensure_directory()
        self.platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
        self.app = create_app(self.platform, {"TESTING": True, "WTF_CSRF_ENABLED": False})
        self.client = self.app.test_client()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set_demo_password(self, id_number: str = GD_ID) -> None:
        with self.platform.db.session() as s:
            s.add(ServicePassword(id_number=id_number, password_hash=hash_password(BY_ID[id_number].password or ""),
                                  must_change=False, source="demo", set_at=self.platform.clock.now()))

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.platform.close()


def national_and_guangdong(tmp: Path, clock: FakeClock, core: Path, trunk: str,
                           **settings: Any) -> tuple[Deployment, Deployment]:
    """The national deployment (00), where 44 is remote, and Guangdong's (44); the demo citizen's
    password is set at the national one (where the caller verifies)."""
    national = Deployment(tmp, clock, "national", "00", core, **settings)
    guangdong = Deployment(tmp, clock, "guangdong", "44", core, **settings)
    national.set_demo_password()
    national.platform.switch.update_center("44", mode="remote", base_url=guangdong.url, trunk=trunk)
    return national, guangdong
