"""`platform.ivr`: the engine's contract (start_call / resume / hangup), flow publishing, the call
log for the console (earlier contacts, screen pop) and survey results for reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ivr.actions import Action, Result
from ivr.api import IvrHost
from ivr.calllog import CallLog
from ivr.engine import Engine
from ivr.flow import Flow, load_flow
from ivr.prompts import PromptCatalog
from ivr.publishing import FlowRepository, VersionInfo

DEFAULT_FLOW = Path(__file__).resolve().parent / "flows" / "default_12333.yaml"


class IvrService:
    def __init__(self, platform: IvrHost, homes: IvrHost | None = None) -> None:
        self.platform = platform
        self.catalog = PromptCatalog.load(audio_dir=platform.settings.data_dir / "prompts")
        self.flows = FlowRepository(platform.db, platform.clock, self.catalog, platform.bus)
        self.calls = CallLog(platform.db, platform.clock, platform.settings.secret_key,
                             journal_dir=platform.settings.data_dir / "ivr",
                             node=str(getattr(platform.settings, "node_id", "") or "node"))
        self.engine = Engine(platform, homes if homes is not None else platform, self.flows, self.calls,
                             self.catalog)
        self._default_flow: Flow | None = None

    # -- engine ---------------------------------------------------------------------------
    def start_call(self, *, call_id: str, caller: str | None, called: str, channel: str,
                   language: str | None = None, args: dict | None = None) -> Action:
        return self.engine.start_call(call_id=call_id, caller=caller, called=called, channel=channel,
                                      language=language, args=args)

    def resume(self, call_id: str, result: Result) -> Action:
        return self.engine.resume(call_id, result)

    def hangup(self, call_id: str, reason: str = "caller_hangup") -> None:
        self.engine.hangup(call_id, reason)

    def sweep(self, older_than_s: float = 900.0) -> list[str]:
        """Close calls whose channel vanished: the log row is open but the state has expired or
        not moved for `older_than_s` (the ACD is told the caller left). Returns their ids."""
        from datetime import timedelta

        cutoff = self.platform.clock.now() - timedelta(seconds=older_than_s)
        lost = []
        for call_id in self.calls.open_calls(cutoff):
            state = self.engine.state(call_id)
            if state is not None and not state.get("done"):
                talking = (state.get("last_action") or {}).get("kind") == "connect"
                idle = self.platform.clock.time() - float(state.get("touched", state["t0"]))
                if idle < (max(older_than_s, 4 * 3600.0) if talking else older_than_s):
                    continue  # still moving, or with an agent (no results until the agent leg ends)
            if state is not None and not state.get("done"):
                self.engine.hangup(call_id, "lost")
            else:
                self.calls.mark_lost(call_id)
            lost.append(call_id)
        return lost

    def shutdown(self) -> None:
        """Write the call log's pending records (the platform closes)."""
        self.calls.close()

    # -- publishing -----------------------------------------------------------------------
    def publish(self, text: str, entry: str = "12333", *, by: str = "cli", note: str = "") -> VersionInfo:
        return self.flows.publish(text, entry, by=by, note=note)

    def rollback(self, entry: str = "12333", to: int | None = None, *, by: str = "cli") -> VersionInfo:
        return self.flows.rollback(entry, to, by=by)

    def versions(self, entry: str | None = None) -> list[VersionInfo]:
        return self.flows.versions(entry)

    # -- console and reports -----------------------------------------------------------------
    def contacts(self, caller: str | None = None, id_number: str | None = None, limit: int = 10) -> list[dict]:
        """Earlier calls of this number or this person, newest first (masked)."""
        return self.calls.contacts(caller=caller, id_number=id_number, limit=limit)

    def call_context(self, call_id: str) -> dict | None:
        """The screen pop: the live state while the call is on, else the call log row (masked)."""
        state = self.engine.state(call_id)
        if state is None:
            return self.calls.get(call_id, with_events=False)
        v = state["vars"]
        from core.masking import mask_phone

        return {"call_id": call_id, "caller": mask_phone(state.get("caller")), "entry": state["entry"],
                "channel": state["channel"], "language": v.get("language"), "flow_version": state.get("flow_version"),
                "province": v.get("province"), "topic": v.get("topic"), "id_masked": v.get("id_masked"),
                # a caller verified at the deployment that handed the call over counts as verified here
                # when this deployment's policy trusts that (HOTLINE_HANDOFF_REVERIFY)
                "verified": bool(v.get("verified") or v.get("verified_trusted")), "kb_answer": v.get("kb_answer"),
                "utterance": v.get("utterance"), "path": state.get("path", []), "inputs": state.get("inputs", []),
                "routing": state.get("route") or {}, "queue": state.get("queue"),
                "outcome": state.get("outcome"), "live": not state.get("done")}

    def path_labels(self, path: list[str], *, entry: str | None = None, flow_version: int | None = None,
                    lang: str = "zh") -> list[str]:
        """The steps of an IVR path (node ids, as in `call_context`) as the node titles of the flow
        version the call ran (else the entry's live flow, else the default flow) in `lang`; a step
        without a title stays its id. One label per step."""
        from ivr.labels import path_labels

        return path_labels(self._flow_for(entry or "12333", flow_version), path or [], lang)

    def _flow_for(self, entry: str, flow_version: int | None) -> Flow | None:
        try:
            if flow_version:
                for info in self.flows.versions(entry):
                    if info.version == int(flow_version):
                        return self.flows.flow(info.id)
            live = self.flows.live(entry)
            if live is not None:
                return live[1]
        except (LookupError, ValueError, TypeError):
            pass
        if self._default_flow is None:
            self._default_flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
        return self._default_flow

    def transcript(self, call_id: str) -> dict | None:
        """A finished call's row with its event list (what `hotline call --json` prints)."""
        return self.calls.get(call_id, with_events=True)

    def survey_report(self, **kwargs: Any) -> list[dict]:
        return self.calls.survey_report(**kwargs)

    def surveys(self, limit: int = 100) -> list[dict]:
        return self.calls.surveys(limit=limit)
