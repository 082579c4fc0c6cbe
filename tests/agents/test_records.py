"""Typed ACD records: conversion to and from the stored form loses nothing, and every hash the service
writes (both stores) is fully modelled."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.records import AgentRec, CallRec
from tests.agents.conftest import add_agent, call

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_times = st.floats(min_value=0, max_value=4e9, allow_nan=False)


@given(st.builds(CallRec, call_id=_text, queue_id=_text, state=st.sampled_from(["waiting", "offered", ""]),
                 priority=st.integers(0, 9), score=st.floats(-1e7, 4e9, allow_nan=False), queued_at=_times,
                 agent_id=st.none() | st.integers(1, 10**6), held=st.none() | _times,
                 journey=st.lists(_text, max_size=3).map(tuple),
                 context=st.none() | st.dictionaries(_text, _text, max_size=3),
                 extra=st.dictionaries(st.sampled_from(["x_new", "y_new"]), _text)))
def test_a_call_record_survives_the_stored_form(rec: CallRec) -> None:
    stored = rec.to_hash()
    assert all(isinstance(v, str) for v in stored.values())
    read = CallRec.from_hash(stored)
    assert read == rec and vars(read) == vars(rec)  # the same object __init__ makes, not only equal fields
    assert dataclasses.replace(read, state="ended").state == "ended" and read.state == rec.state
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.state = "ended"  # type: ignore[misc]


@given(st.builds(AgentRec, id=st.integers(1, 10**6), skills=st.lists(_text, max_size=3).map(tuple),
                 languages=st.lists(st.sampled_from(["zh", "yue", "en"]), max_size=3).map(tuple),
                 since=_times, idle_since=st.none() | _times, offer_until=st.none() | _times,
                 endpoints=st.none() | st.dictionaries(st.sampled_from(["asterisk", "twilio"]), _text)))
def test_an_agent_record_survives_the_stored_form(rec: AgentRec) -> None:
    read = AgentRec.from_hash(rec.to_hash())
    assert read == rec and vars(read) == vars(rec)


def test_an_empty_or_missing_field_reads_as_its_default() -> None:
    rec = CallRec.from_hash({"call_id": "c1", "agent_id": "", "priority": "", "journey": ""})
    assert (rec.call_id, rec.agent_id, rec.priority, rec.journey, rec.language) == ("c1", None, 0, (), "zh")
    assert not rec.waiting and rec.channel is None
    assert AgentRec.from_hash({}).state == "logged_out" and AgentRec.from_hash({}).deadline is None


def test_every_hash_the_service_writes_is_modelled(acd, clock) -> None:  # type: ignore[no-untyped-def]
    """Calls and agents through their states: each stored hash reads into a record with nothing left
    over, and reads back the same from the record's stored form."""
    agent = add_agent(acd, "a", "44", ("pension",), languages=("zh", "yue"), ready=True)
    snapshots = []

    def snap() -> None:
        snapshots.extend(acd.store.hgetall(k) for k in acd.store.keys("acd:c:*") + acd.store.keys("acd:a:*"))

    acd.agents.enqueue(call("c1", "44-pension", context={"channel": "asterisk", "ivr_path": ["1"]}))
    snap()
    acd.agents.accept(agent, "c1")
    acd.agents.hold(agent, "c1")
    snap()
    clock.advance(5)
    acd.agents.resume(agent, "c1")
    acd.agents.end_call("c1")
    snap()
    acd.agents.enqueue(call("c2", "44-pension", priority=1))
    acd.agents.request_callback("c2", "13900139000")
    acd.agents.wrap_up(agent, "resolved")
    snap()
    acd.agents.abandon("c2", "callback_cancelled")
    snap()
    for h in snapshots:
        kind = AgentRec if "skills" in h else CallRec
        rec = kind.from_hash(h)
        assert dict(rec.extra) == {}, f"{kind.__name__} does not model {sorted(rec.extra)}"
        assert kind.from_hash(rec.to_hash()) == rec
