"""HOTLINE_HANDOFF_REVERIFY on the receiving deployment, with the real IVR engine on both sides (the
simulator as the channel): a Guangdong-insured caller verifies at the national IVR and is handed over to
Guangdong's deployment; Guangdong's policy decides whether the caller verifies again there.

- never: the sender's signed verified flag is trusted (queued at once, no second check);
- records: queued at once, trusted for the agent; a record self-service (7 while holding) verifies
  again here, and the caller's way back to an agent keeps the handed-over queue and wait;
- always: verified again before being queued, told why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.settings import handoff_reverify_policy
from ivr.actions import Hold, Transfer
from ivr.simulator import ScriptedCaller, Simulator
from tests.deployments import Deployment, national_and_guangdong
from tests.records.conftest import core_file  # noqa: F401 - fixture

TUESDAY_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
# records 7, keep Beijing 1, the ID (X typed as *), confirm 1, password 1, 135790#, agent 0
NATIONAL_KEYS = "7 1 44010619880315003X# 1 1 135790# 0"
VERIFY_KEYS = "44010619880315003X# 1 1 135790#"  # ID, confirm, by password, the password


def make_two(tmp: Path, clock: FakeClock, core: Path, policy: str) -> tuple[Deployment, Deployment]:
    clock.set(TUESDAY_10)
    national, guangdong = national_and_guangdong(tmp, clock, core, "PJSIP/trunk-gd", handoff_reverify=policy)
    guangdong.set_demo_password()  # the citizen's password is known to Guangdong's records system too
    return national, guangdong


@pytest.fixture
def deployments(tmp_path: Path, clock: FakeClock, core_file: Path,  # noqa: F811
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.handoff"))
    made: list[Deployment] = []

    def make(policy: str) -> tuple[Deployment, Deployment]:
        pair = make_two(tmp_path / policy, clock, core_file, policy)
        made.extend(pair)
        return pair

    (tmp_path / "never").mkdir(), (tmp_path / "records").mkdir(), (tmp_path / "always").mkdir()
    yield make
    for d in made:
        d.close()


def hand_over(national: Deployment) -> Transfer:
    """The citizen's call at the national deployment, up to the transfer to Guangdong."""
    actions: list[Any] = []
    Simulator(national.platform, ScriptedCaller(NATIONAL_KEYS), agent=False, on_action=actions.append).run(
        caller="13901001234")
    transfer = actions[-1]
    assert isinstance(transfer, Transfer) and transfer.center_code == "44" and transfer.token
    return transfer


def arrive(guangdong: Deployment, transfer: Transfer, keys: str, call_id: str) -> tuple[list[Any], list[dict]]:
    """The call arriving at Guangdong with the reference; the screen pop at each hold (no agent answers,
    the caller gives up after five minutes)."""
    actions: list[Any] = []
    pops: list[dict] = []

    def seen(action: Any) -> None:
        actions.append(action)
        if isinstance(action, Hold):
            pop = guangdong.platform.agents.call_context(call_id)
            if pop is not None and pop.get("state") == "waiting":
                # the console's screen pop merges the IVR's own view of the call over the ACD's context
                pops.append({**pop, "ivr": guangdong.platform.ivr.call_context(call_id)})

    Simulator(guangdong.platform, ScriptedCaller(keys), agent=False, patience_s=120, on_action=seen).run(
        caller="13901001234", call_id=call_id, args={"handoff": transfer.token})
    return actions, pops


def heard(actions: list[Any]) -> str:
    return " ".join(p.text for a in actions for p in getattr(a, "prompts", ()))


def events(guangdong: Deployment, call_id: str, kind: str) -> list[dict]:
    state = guangdong.platform.ivr.engine.state(call_id)
    return [e for e in (state or {}).get("events", []) if e.get("type") == kind]


def test_never_trusts_the_senders_verification(deployments) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments("never")
    actions, pops = arrive(guangdong, hand_over(national), "7", "gd-never-1")
    said = heard(actions)
    assert "已由全国12333转接过来" in said
    assert "身份证" not in said and "核验" not in said and "按7" not in said  # no second check, none offered
    assert pops and pops[0]["context"]["verified"] is True and pops[0]["queue_id"] == "44-general"
    assert pops[0]["context"]["verified_id_masked"].endswith("003X")
    assert pops[0]["ivr"]["verified"] is True  # trusted: the IVR's view agrees (it wins in the screen pop)
    assert not events(guangdong, "gd-never-1", "record")


def test_always_verifies_again_before_queueing_and_says_why(deployments) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments("always")
    transfer = hand_over(national)
    call_id = "gd-always-1"
    sim_actions, pops = arrive(guangdong, transfer, VERIFY_KEYS, call_id)
    said = heard(sim_actions)
    assert "已由全国12333转接过来" in said
    assert "转接过来的来电需要在本中心重新核验身份" in said and "为保护您的个人信息安全" in said
    assert "请输入" in said and "身份证" in said  # the flow's own ID prompt follows
    assert "欢迎" not in said  # no welcome, no main menu: straight to the check
    verify = [e for e in events(guangdong, call_id, "record") if e.get("op") == "verify_password"]
    assert [e["status"] for e in verify] == ["ok"]  # checked here, against Guangdong's records system
    assert any(e.get("status") == "reverified" for e in events(guangdong, call_id, "handoff"))
    # queued only after the check, at the handed-over queue, with the screen pop saying it was checked here
    assert pops, "never queued after verifying again"
    ctx = pops[0]["context"]
    assert pops[0]["queue_id"] == "44-general" and ctx["transferred_from"] == "00"
    assert ctx["verified"] is True and ctx["reverified"] is True and ctx["verified_at"] == "44"
    assert pops[0]["ivr"]["verified"] is True
    assert "records_verify_password" in ctx["ivr_path"]           # the national path, as handed over
    assert "records_verify_password" in ctx["ivr_path_here"]      # and the check done here
    queued = [e for e in events(guangdong, call_id, "queue") if e.get("handoff")]
    assert len(queued) == 1 and queued[0]["verified"] is True
    assert queued[0]["t"] >= verify[0]["t"]  # nothing was queued while the caller verified


def test_always_with_a_failed_check_still_reaches_an_agent_unverified(deployments) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments("always")
    # a wrong password, then 0 for an agent from the method menu after retries run out is long: press 0 at
    # the method menu instead of choosing a way to verify
    actions, pops = arrive(guangdong, hand_over(national), "44010619880315003X# 1 0", "gd-always-2")
    assert "重新核验身份" in heard(actions)
    assert pops and pops[0]["queue_id"] == "44-general"
    assert pops[0]["context"]["verified"] is False and pops[0]["context"]["reverified"] is False
    assert pops[0]["ivr"]["verified"] is False  # not trusted any more once the check here was given up
    assert pops[0]["context"]["transferred_from"] == "00"


def test_records_trusts_for_the_agent_but_verifies_again_for_self_service(deployments) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments("records")
    call_id = "gd-records-1"
    left: list[Any] = []
    guangdong.platform.bus.subscribe(left.append, ("acd.call.withdrawn", "acd.call.abandoned"))
    # hold (offered 7), 7: self-service, verify, the summary, then 0 for an agent again
    actions, pops = arrive(guangdong, hand_over(national), f"7 {VERIFY_KEYS} 0", call_id)
    said = heard(actions)
    assert "等待期间如需自助查询个人参保信息，请按7" in said
    assert "您的身份已在全国12333核验过，但查询个人参保信息需要在广东省12333重新核验身份" in said
    # first queued trusting the sender, then (after the self-service) queued again at the same queue
    assert len(pops) >= 2
    first, again = pops[0], pops[-1]
    assert first["context"]["verified"] is True and "reverified" not in first["context"]
    verify = [e for e in events(guangdong, call_id, "record") if e.get("op") == "verify_password"]
    assert [e["status"] for e in verify] == ["ok"]
    summary = [e for e in events(guangdong, call_id, "record") if e.get("op") == "summary"]
    assert summary and summary[0]["status"] == "ok"  # the record read to the caller after the check here
    assert again["queue_id"] == "44-general" and again["context"]["reverified"] is True
    assert any(e.get("status") == "self_service" for e in events(guangdong, call_id, "handoff"))
    # leaving the queue for the self-service is no abandon (only the caller's final hang-up is)
    assert [e.type for e in left][:1] == ["acd.call.withdrawn"] and left[0].data["reason"] == "self_service"


def test_records_without_asking_for_a_record_never_verifies_again(deployments) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments("records")
    actions, pops = arrive(guangdong, hand_over(national), "", "gd-records-2")
    said = heard(actions)
    assert "按7" in said and "身份证" not in said
    assert pops and pops[0]["context"]["verified"] is True
    assert not events(guangdong, "gd-records-2", "record")


def test_the_policy_setting_refuses_an_unknown_value() -> None:
    assert handoff_reverify_policy(" Records ") == "records"
    assert handoff_reverify_policy(None) == "never"
    with pytest.raises(ValueError, match="never, records, always"):
        handoff_reverify_policy("sometimes")
