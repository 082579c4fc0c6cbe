"""Where a call goes and why, on the node: the pure decision of switch/routing.py, given the directory's
snapshot, each center's hours now and the ACD's load, announced on the bus (`route`); and who may not
call at all (`blocked`, switch/blocklist.py)."""

from __future__ import annotations

from core import phone
from core.clock import china_now
from core.masking import mask_phone
from switch.api import SwitchHost
from switch.blocklist import Block, Blocklist
from switch.directory_service import DirectoryService
from switch.events import RouteDecided
from switch.hours_service import HoursService
from switch.routing import RouteInput, RoutingDecision, decide


class RoutingService:
    def __init__(self, platform: SwitchHost, directory: DirectoryService, hours: HoursService,
                 blocklist: Blocklist) -> None:
        self.platform = platform
        self.directory = directory
        self.hours = hours
        self.blocklist = blocklist

    def blocked(self, caller: str | None, entry_center: str | None = None) -> Block | None:
        """The block in force for this caller (national, or for the entry center or the number's
        province), or None. See switch/blocklist.py."""
        return self.blocklist.blocked(caller, (entry_center, phone.province_of(caller)))

    def detected_province(self, caller: str | None) -> str | None:
        return phone.province_of(caller)

    def route(self, *, caller: str | None, entry_center: str = "00", choice: str | None = None,
              verified_id: str | None = None, topic: str | None = None, language: str = "zh",
              call_id: str | None = None, insured_province: str | None = None, insured_city: str | None = None,
              id_number: str | None = None) -> RoutingDecision:
        """Where a call goes and why (see switch/routing.py for the precedence). `choice` is only an
        explicit choice of the caller (not a confirmed guess); `insured_province`/`insured_city` the
        core system's 参保地 of a verified caller; `id_number` an ID entered but not verified."""
        snapshot = self.directory.snapshot()
        directory = snapshot.centers
        local_now = china_now(self.platform.clock)
        load = self.platform.agents.center_load
        decision = decide(RouteInput(caller, entry_center, choice, verified_id, topic, language,
                                     insured_province, insured_city, id_number), directory,
                          hours=lambda code: self.hours.hours(directory[code], local_now, snapshot),
                          load=load, today=local_now.date(), queue_for=self.platform.agents.queue_for)
        self.platform.bus.emit(RouteDecided.of(decision, call_id=call_id, caller=mask_phone(caller)))
        return decision
