"""Agent look-ups: verified caller on the agent's own call, or a stated reason; province scope unless
transferred; masked unless reveal by a role that may; every outcome audited."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.records.conftest import DEMO_ID, DEMO_PASSWORD, GD_ID, audit_rows


@dataclass
class FakeStatus:
    agent_id: int | None
    state: str = "connected"


@dataclass
class FakeProfile:
    id: int


class FakeAgents:
    """Stands in for `platform.agents.call_status` and `agent_for_user` (the ACD contract). As in the
    real ACD, an agent id is not the console user's id: `on_call(user)` gives the call to that user."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}  # call id -> ACD agent id

    @staticmethod
    def agent_for_user(user_id: int) -> FakeProfile | None:
        return FakeProfile(user_id + 500)

    def on_call(self, call_id: str, user) -> None:  # type: ignore[no-untyped-def]
        self.calls[call_id] = user.id + 500

    def call_status(self, call_id: str) -> FakeStatus | None:
        return FakeStatus(self.calls[call_id]) if call_id in self.calls else None


@pytest.fixture
def acd(platform) -> FakeAgents:  # type: ignore[no-untyped-def]
    fake = FakeAgents()
    platform.__dict__["agents"] = fake
    return fake


def test_no_verification_and_no_reason_is_refused(platform, records, users, acd) -> None:
    acd.on_call("call-1", users["bj"])
    out = records.agent_view(users["bj"], DEMO_ID, call_id="call-1", reason=None)
    assert out.status == "not_verified" and out.fields == {}
    row = audit_rows(platform)[-1]
    assert (row.actor, row.outcome, row.subject, row.session_id) == (f"agent:{users['bj'].id}", "not_verified",
                                                                      DEMO_ID, "call-1")


def test_verified_caller_on_own_call_is_shown_masked(platform, records, users, acd) -> None:
    acd.on_call("call-1", users["bj"])
    assert records.verify_password("call-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    out = records.agent_view(users["bj"], DEMO_ID, call_id="call-1", reason=None)
    assert out.status == "ok" and out.masked and out.reason == "verified_caller"
    person = out.fields["person"]
    assert person["name"] == "李*兰" and person["id_number"] == "110105********002X"
    assert person["registered_mobile"] == "139****1234" and "person_key" not in person
    assert len(out.fields["pension_payments"]) == 12 and out.fields["pension"]["contribution_months"] > 0
    row = audit_rows(platform)[-1]
    assert row.action == "record.lookup" and row.outcome == "ok" and "pension" in row.fields
    assert row.detail["basis"] == "verified_caller" and row.detail["call_check"] == "own"


def test_verified_caller_on_someone_elses_call_is_refused(records, users, acd) -> None:
    acd.on_call("call-1", users["national"])
    records.verify_password("call-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    out = records.agent_view(users["bj"], DEMO_ID, call_id="call-1", reason=None)
    assert out.status == "denied" and out.reason == "not_your_call"


def test_verified_for_another_person_does_not_count(records, users, acd) -> None:
    acd.on_call("call-1", users["national"])
    records.verify_password("call-1", GD_ID, "135790", channel="ivr", caller=None)
    assert records.agent_view(users["national"], DEMO_ID, call_id="call-1", reason="").status == "not_verified"


def test_reason_allows_a_lookup_within_scope(platform, records, users) -> None:
    assert records.agent_view(users["bj"], DEMO_ID, call_id=None, reason="abc").reason == "reason_too_short"
    out = records.agent_view(users["bj"], DEMO_ID, call_id=None, reason="来电人咨询养老金发放")
    assert out.status == "ok" and out.reason == "reason"
    assert audit_rows(platform)[-1].detail["reason"] == "来电人咨询养老金发放"


def test_province_scope(platform, records, users, acd) -> None:
    out = records.agent_view(users["gd"], DEMO_ID, call_id=None, reason="来电人咨询养老金发放")
    assert out.status == "denied" and out.reason == "out_of_scope" and out.fields == {}
    row = audit_rows(platform)[-1]
    assert row.outcome == "out_of_scope" and row.detail["province"] == "11" and row.fields == []
    assert records.agent_view(users["gd"], GD_ID, call_id=None, reason="来电人咨询缴费").ok
    assert records.agent_view(users["national"], DEMO_ID, call_id=None, reason="全国坐席查询").ok
    # a Beijing citizen's call transferred to a Guangdong agent may be looked up there
    acd.on_call("call-t", users["gd"])
    records.verify_password("call-t", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    assert records.agent_view(users["gd"], DEMO_ID, call_id="call-t", reason=None).reason == "out_of_scope"
    out = records.agent_view(users["gd"], DEMO_ID, call_id="call-t", reason=None, transferred=True)
    assert out.ok and audit_rows(platform)[-1].detail["transferred"] is True
    # 'transferred' means nothing for a call that is not the agent's
    acd.on_call("call-u", users["bj"])
    out = records.agent_view(users["gd"], DEMO_ID, call_id="call-u", reason="转接来电查询", transferred=True)
    assert out.reason == "out_of_scope"


def test_reveal_only_for_roles_that_need_it_and_audited(platform, records, users) -> None:
    out = records.agent_view(users["gd"], GD_ID, call_id=None, reason="来电人核对信息", reveal=True)
    assert out.ok and out.masked and out.fields["person"]["id_number"] != GD_ID and "无权查看完整信息" in out.speech
    assert audit_rows(platform)[-1].detail["reveal_refused"] is True
    out = records.agent_view(users["admin-gd"], GD_ID, call_id=None, reason="核对参保登记信息", reveal=True)
    assert not out.masked and out.fields["person"]["id_number"] == GD_ID
    assert out.fields["person"]["registered_mobile"] == "13901001234"
    row = audit_rows(platform)[-1]
    assert row.action == "record.reveal" and row.detail["revealed"] is True


def test_without_an_acd_the_console_is_trusted_and_that_is_audited(platform, records, users, monkeypatch) -> None:
    import records.agent as agent_module

    monkeypatch.setattr(agent_module.importlib.util, "find_spec", lambda name: None)
    assert "agents" not in platform.__dict__
    records.verify_password("call-9", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    out = records.agent_view(users["bj"], DEMO_ID, call_id="call-9", reason=None)
    assert out.ok and audit_rows(platform)[-1].detail["call_check"] == "unchecked"


def test_a_failing_acd_does_not_block_the_lookup(platform, records, users) -> None:
    class BrokenAgents:
        def call_status(self, call_id: str) -> None:
            raise ConnectionError("redis down")

    platform.__dict__["agents"] = BrokenAgents()
    out = records.agent_view(users["bj"], DEMO_ID, call_id="call-9", reason="来电人咨询养老金")
    assert out.ok and audit_rows(platform)[-1].detail["call_check"] == "unchecked"


def test_invalid_and_unknown_ids(platform, records, users) -> None:
    assert records.agent_view(users["national"], "123", call_id=None, reason="核对信息").status == "invalid_id"
    assert audit_rows(platform)[-1].outcome == "invalid_id"
    out = records.agent_view(users["national"], "110105198001011238", call_id=None, reason="核对信息")
    assert out.status == "unknown_person" and audit_rows(platform)[-1].outcome == "unknown_person"


def test_the_real_acd_knows_agents_by_agent_id_not_user_id(platform, records, users) -> None:
    """The ACD's `CallStatus.agent_id` is an agent id; the console user is matched through
    `agents.agent_for_user`, so a verified caller's record is shown to the agent on the call."""
    from agents.domain import QueuedCall

    acd = platform.agents
    gd_agent = acd.create_agent(users["gd"].id, name="gd", center_code="44", skills=("general",))
    bj_agent = acd.create_agent(users["bj"].id, name="bj", center_code="11", skills=("general",))
    assert bj_agent != users["bj"].id and gd_agent == users["bj"].id  # ids that a user-id compare would mix up
    acd.login(bj_agent)
    acd.set_ready(bj_agent)
    acd.enqueue(QueuedCall(call_id="call-1", queue_id="11-general", center_code="11", topic="general",
                           skills=("general",), caller="13800138000"))
    acd.accept(bj_agent, "call-1")
    assert acd.call_status("call-1").agent_id == bj_agent
    assert records.verify_password("call-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok

    out = records.agent_view(users["bj"], DEMO_ID, call_id="call-1", reason=None)
    assert out.status == "ok" and out.reason == "verified_caller"
    row = audit_rows(platform, action="record.lookup")[-1]
    assert row.actor == f"agent:{users['bj'].id}" and row.detail["call_check"] == "own"

    # the web console's interim wrapper (`id` = agent id, `user_id` = console user) is still accepted,
    # and the audit names the console user
    @dataclass
    class Wrapper:
        id: int
        user_id: int
        province_scope: str = "11"

        def has_role(self, *roles: str) -> bool:
            return "agent" in roles

        def can_see_province(self, code: str | None) -> bool:
            return code == "11"

    out = records.agent_view(Wrapper(bj_agent, users["bj"].id), DEMO_ID, call_id="call-1", reason=None)
    assert out.status == "ok"
    assert audit_rows(platform, action="record.lookup")[-1].actor == f"agent:{users['bj'].id}"

    # the Guangdong agent (whose agent id equals the Beijing user's id) is not on this call
    out = records.agent_view(users["gd"], DEMO_ID, call_id="call-1", reason=None)
    assert out.status == "denied" and out.reason == "not_your_call"
