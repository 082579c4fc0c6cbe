"""Two deployments at the FastAGI level: the national one (00) and Guangdong's (44), each with its own
database and FastAGI server, sharing the handoff secret. A Guangdong-insured caller with a Beijing
mobile verifies at the national IVR; the switch routes to 44 (remote), the signed handoff is posted, the
call is dialled over the trunk with the reference (pre-dial handler → SIP header). The emulated trunk
delivers it to Guangdong's FastAGI with `handoff=<reference>` as the receiving dialplan passes it
(extensions.conf, from-national); Guangdong's IVR claims it, greets the caller as transferred, skips
the menus and queues the call, and its agent sees the IVR path, verification and topic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.clock import FakeClock
from ivr.asterisk.channel import CallRunner
from tests.asterisk.emulator import Caller, ChannelModel, EmulatedCall
from tests.asterisk.helpers import agi_server, run, until
from tests.deployments import Deployment, national_and_guangdong
from tests.records.conftest import core_file  # noqa: F401 - fixture

TUESDAY_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TRUNK = "trunk-gd"


@pytest.fixture
def two(tmp_path: Path, clock: FakeClock, core_file: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Deployment, Deployment]]:
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.handoff"))
    clock.set(TUESDAY_10)
    national, guangdong = national_and_guangdong(tmp_path, clock, core_file, TRUNK)
    yield national, guangdong
    national.close()
    guangdong.close()


def played(model: ChannelModel) -> str:
    return " ".join(line for line, _ in model.log)


def test_a_call_handed_over_at_the_fastagi_level_is_claimed_and_queued_with_its_context(two) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = two
    dialled: list[str] = []
    received: dict[str, object] = {}

    async def main() -> ChannelModel:
        gd_runner = CallRunner(guangdong.platform)
        nat_runner = CallRunner(national.platform)
        async with agi_server(gd_runner.handle) as gd_server, agi_server(nat_runner.handle) as nat_server:

            async def trunk(target: str) -> tuple[int, str]:
                """The PJSIP trunk: the receiving dialplan reads X-Hotline-Handoff and runs
                AGI(agi://guangdong/12333,handoff=${HOTLINE_HANDOFF_IN})."""
                dialled.append(target)
                reference = national_model.vars["HOTLINE_HANDOFF"]
                model = ChannelModel("PJSIP/trunk-nat-00000001", caller=Caller(inputs=[]),
                                     callerid=("13901001234", ""))
                received["model"] = model
                call = EmulatedCall(model, uniqueid="1795600100.1", caller="13901001234",
                                    args=(f"handoff={reference}",))
                task = asyncio.create_task(call.run("127.0.0.1", gd_server.port, timeout=10))
                await until(lambda: model.music, 10)
                received["task"], received["call"] = task, call  # type: ignore[assignment]
                return 0, "ANSWER"

            # records 7, keep Beijing 1, the ID with * for X, confirm 1, password 1, 135790#, agent 0
            national_model = ChannelModel("PJSIP/carrier-00000001", callerid=("13901001234", ""), dial=trunk,
                                          caller=Caller(inputs=["7", "1", "44010619880315003*", "1", "1",
                                                                "135790", "0"], eager=True))
            call = EmulatedCall(national_model, uniqueid="1795600000.1", caller="13901001234")
            await asyncio.wait_for(call.run("127.0.0.1", nat_server.port, timeout=10), 30)
            await until(lambda: "task" in received, 10)
            gd_call = "ast-1795600100.1"
            status = guangdong.platform.agents.call_status(gd_call)
            assert status.state == "waiting" and status.queue_id == "44-general"
            await received["call"].hangup()  # type: ignore[attr-defined]
            await asyncio.wait_for(received["task"], 10)  # type: ignore[arg-type]
        nat_runner.close()
        gd_runner.close()
        return national_model

    national_model = run(main(), timeout=60)
    assert dialled == [f"PJSIP/44@{TRUNK}"]
    assert national_model.vars.get("HOTLINE_DONE") == "1"
    dial_line = next(line for line, _ in national_model.log if line.startswith("EXEC Dial"))
    assert "hotline-handoff^s^1(" in dial_line  # the pre-dial handler adds the SIP header
    gd_model = received["model"]
    assert isinstance(gd_model, ChannelModel)
    heard = played(gd_model)
    assert "handoff_welcome" in heard and "main_menu" not in heard and "records_enter_id" not in heard
    ctx = guangdong.platform.agents.call_context("ast-1795600100.1")["context"]
    assert ctx["transferred_from"] == "00" and ctx["verified"] is True
    assert ctx["verified_id_masked"].endswith("003X") and ctx["topic"] == "general"
    assert "records_verify_password" in ctx["ivr_path"]
    assert ctx["routing_reasons"][0]["code"] == "insured_province"
