"""Background work of the IVR on a node: close calls whose channel vanished without a hang-up
(a crashed AGI session, a Twilio call whose status callback never came), so the call log and the
ACD do not keep ghosts."""

from __future__ import annotations

import logging

from core.timers import PeriodicService
from ivr.api import IvrHost

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 60.0
LOST_AFTER_S = 900.0


def sweep(platform: IvrHost, older_than_s: float = LOST_AFTER_S) -> list[str]:
    lost = platform.ivr.sweep(older_than_s)
    if lost:
        log.warning("closed %d call(s) whose channel vanished", len(lost))
    return lost


TEST_CALL_TICK_S = 1.0


def services(platform: IvrHost) -> list[PeriodicService]:
    from ivr.testcall import TestCalls

    test_calls = TestCalls(platform)  # moves on held test calls nobody is polling (announcements, max wait)
    return [PeriodicService("ivr-call-sweeper", SWEEP_EVERY_S, lambda: sweep(platform)),
            PeriodicService("ivr-test-call-timer", TEST_CALL_TICK_S, test_calls.tick_all)]
