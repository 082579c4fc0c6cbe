"""`platform.switch` (the contract `switch.api.SwitchApi`): the switch's parts, each with one job, under
one name. This class only composes them and hands each method of the contract to the part that does it:

- `directory` (switch/directory_service.py): the centers, kept in the database and cached (their queues
  are the ACD's: `platform.agents.queue_for`);
- `calendar` (switch/calendar_service.py): overrides and the official calendar per year;
- `hours` (switch/hours_service.py): whether a center takes calls now, as a center and for its callers;
- `routing` (switch/routing_service.py): where a call goes and why; the blocklist check;
- `dispatch` (switch/dispatch.py): placing a routed call, an agent's transfer, the outbound handoff;
- `arrivals` (switch/arrivals.py): a call handed over by another deployment, stored and claimed;
- `blocklist` (switch/blocklist.py): the numbers barred from the hotline.
"""

from __future__ import annotations

from switch.api import HandoffSender, SwitchHost
from switch.arrivals import Arrivals
from switch.blocklist import Blocklist
from switch.calendar_service import CalendarService
from switch.directory_service import DirectoryService
from switch.dispatch import Dispatch
from switch.hours_service import HoursService
from switch.routing_service import RoutingService


class SwitchService:
    def __init__(self, platform: SwitchHost, *, handoff_sender: HandoffSender) -> None:
        self.blocklist = Blocklist(platform)
        self.directory = directory = DirectoryService(platform, seed_calendar=lambda: self.calendar.seed_calendar())
        self.calendar = calendar = CalendarService(platform, directory)
        self.hours = hours = HoursService(platform, directory)
        self.routing = routing = RoutingService(platform, directory, hours, self.blocklist)
        self.dispatch = dispatch = Dispatch(platform, directory, handoff_sender)
        self.arrivals = arrivals = Arrivals(platform, directory, dispatch)

        self.ensure_directory = directory.ensure_directory
        self.centers = directory.centers
        self.center = directory.center
        self.update_center = directory.update_center
        self.close_center = directory.close_center
        self.open_center = directory.open_center

        self.set_override = calendar.set_override
        self.remove_override = calendar.remove_override
        self.overrides = calendar.overrides
        self.seed_calendar = calendar.seed_calendar
        self.import_notice = calendar.import_notice
        self.set_official_day = calendar.set_official_day
        self.official_calendar = calendar.official_calendar
        self.calendar_years = calendar.calendar_years
        self.year_notice = calendar.year_notice
        self.calendar_warnings = calendar.calendar_warnings

        self.holiday_exempt = hours.holiday_exempt
        self.demo_open_24h = hours.demo_open_24h
        self.hours_state = hours.hours_state
        self.service_state = hours.service_state

        self.blocked = routing.blocked
        self.detected_province = routing.detected_province
        self.route = routing.route

        self.place = dispatch.place
        self.transfer = dispatch.transfer
        self.hand_off = dispatch.hand_off

        self.verify_handoff_request = arrivals.verify_handoff_request
        self.receive_handoff = arrivals.receive_handoff
        self.claim_handoff = arrivals.claim_handoff
        self.claim_arrival = arrivals.claim_arrival
        self.enqueue_arrival = arrivals.enqueue_arrival
        self.arrive = arrivals.arrive
