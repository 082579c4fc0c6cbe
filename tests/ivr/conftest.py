"""Fixtures for the IVR tests: the engine on fakes of the other homes, with the default flow live."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hotline.platform import Platform
from ivr.service import DEFAULT_FLOW, IvrService
from ivr.simulator import ScriptedCaller, SimulatedCall, Simulator
from tests.ivr.fakes import Homes


@pytest.fixture
def homes() -> Homes:
    return Homes()


@pytest.fixture
def ivr(platform: Platform, homes: Homes) -> IvrService:
    service = IvrService(platform, homes=homes)
    service.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    return service


@pytest.fixture
def call(platform: Platform, ivr: IvrService, homes: Homes) -> Callable[..., SimulatedCall]:
    """Run a scripted call through the live flow on the fakes."""

    def run(keys: str = "", *, says: list[str] | None = None, caller: str = "13800138000", called: str = "12333",
            patience_s: float = 300.0) -> SimulatedCall:
        sim = Simulator(platform, ScriptedCaller(keys, says), agent=False, ivr=ivr, homes=homes,
                        patience_s=patience_s)
        return sim.run(caller=caller, called=called)

    return run


def kinds(result: SimulatedCall, kind: str) -> list[dict]:
    return [e for e in result.events if e["type"] == kind]


def prompt_ids(result: SimulatedCall) -> list[str]:
    return [e["id"] for e in result.events if e["type"] == "prompt"]


def path(result: SimulatedCall) -> list[str]:
    return [e["node"] for e in result.events if e["type"] == "node"]
