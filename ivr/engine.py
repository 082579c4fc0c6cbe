"""The IVR engine: a resumable step machine. `start_call` and `resume` each load the call's JSON
state from the state store, run node handlers until one needs the caller (an `Action`), save the
state and return the action. Any node can take the next step, which is what Twilio's webhooks need.

Prompts queued by nodes that do not wait (play, the reading of an answer, error messages) are
spoken in front of the next action's own prompts, so a channel makes one round trip per input.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from core import fastjson, provinces
from core.clock import china_now
from core.events import DomainEvent
from core.masking import mask_id, mask_phone, scrub
from ivr.actions import (
    Action,
    CallerHangup,
    Collect,
    Connect,
    Hangup,
    Hold,
    Listen,
    Play,
    Played,
    Prompt,
    Result,
    Timeout,
    Transfer,
    action_from_dict,
)
from ivr.api import IvrHost
from ivr.calllog import CallLog
from ivr.context import Ctx, Goto, Step, secret_key
from ivr.events import CallBlocked, CallEnded, CallStarted
from ivr.flow import Flow
from ivr.intent import IntentClassifier
from ivr.nodes import HANDLERS
from ivr.prompts import PromptCatalog
from ivr.publishing import FlowRepository, normalise_entry

log = logging.getLogger(__name__)

STATE_TTL = 6 * 3600.0
DONE_TTL = 600.0  # a finished call's state lingers briefly so late results get a clean Hangup
MAX_HOPS = 200


class Engine:
    def __init__(self, platform: IvrHost, homes: IvrHost, flows: FlowRepository, calls: CallLog,
                 catalog: PromptCatalog) -> None:
        self.platform = platform
        self.homes = homes
        self.flows = flows
        self.calls = calls
        self.catalog = catalog
        self.clock = platform.clock
        self.store = platform.store
        self._classifier: IntentClassifier | None = None

    # -- the contract ---------------------------------------------------------------------
    def start_call(self, *, call_id: str, caller: str | None, called: str, channel: str,
                   language: str | None = None, args: dict | None = None) -> Action:
        args = dict(args or {})
        handoff = handoff_reference(args)
        existing = self._load(call_id)
        if existing is not None:  # a repeated start (webhook retry): answer the same action again
            last = existing.get("last_action")
            return action_from_dict(last) if last else Hangup(str(existing.get("outcome") or "ended"))
        entry = normalise_entry(called)
        live = self.flows.live(entry)
        if live is None:
            log.error("no live flow for entry %s; call %s refused", entry, call_id)
            return Hangup("no_flow", (self.catalog.render("service_unavailable", language or "zh"),))
        info, flow = live
        now = self.clock.time()
        state: dict[str, Any] = {
            "call_id": call_id, "caller": caller, "called": called, "entry": entry, "channel": channel,
            "flow_id": info.id, "flow_version": info.version, "t0": now, "node": None, "step": "",
            "retries": 0, "path": [], "inputs": [], "events": [], "pending": [], "route": None, "queue": None,
            "vars": {"caller": caller or "", "called": called, "entry": entry, "channel": channel,
                     "language": language or flow.settings.language,
                     "entry_center": str(args.pop("entry_center", self.platform.settings.center_code)),
                     "speech": bool(args.pop("speech", False)),
                     "recording_notice": self._recording_notice(entry), **args},
        }
        try:
            self.calls.started(state)
        except Exception:  # the caller is still served; the end of the call retries the row
            log.exception("could not log the start of call %s", call_id)
        state["events"].append({"t": 0.0, "type": "call", "call_id": call_id, "caller": mask_phone(caller),
                                "entry": entry, "channel": channel, "flow_version": info.version})
        self.emit(CallStarted(call_id=call_id, caller=mask_phone(caller), entry=entry, channel=channel,
                              flow_version=info.version, province=_scope(state)))
        with self.store.lock(self._lock_key(call_id)):
            barred = self._blocked(state)
            arrived = self._arrival(state, flow, handoff) if handoff and barred is None else None
            action = self._advance(state, flow, barred or arrived or Goto(flow.start))
            self._save(state, action)
        return action

    def _blocked(self, state: dict[str, Any]) -> Hangup | None:
        """A caller on the blocklist (national, or for this entry center or their number's province)
        hears a neutral message and the call ends; the event keeps the block's id, never the reason."""
        if not state.get("caller"):
            return None
        try:
            block = self.homes.switch.blocked(state["caller"], state["vars"].get("entry_center"))
        except Exception:
            log.exception("blocklist check failed for call %s; the call goes on", state["call_id"])
            return None
        if block is None:
            return None
        ctx = Ctx(self, state, self.flows.flow(int(state["flow_id"])))
        ctx.event("blocked", block_id=block.id, scope=block.scope)
        self.emit(CallBlocked(call_id=state["call_id"], caller=mask_phone(state["caller"]), block_id=block.id,
                              scope=block.scope))
        return Hangup("blocked", (ctx.prompt("blocked_notice"),))

    def _arrival(self, state: dict[str, Any], flow: Flow, reference: str) -> Step | None:
        """A call handed over by another deployment: claim its context (switch), greet the caller as a
        transferred caller and hold them in the queue the switch put them in, skipping what is known
        (province, identity checked there, topic). `HOTLINE_HANDOFF_REVERIFY` decides whether a caller
        verified there verifies again here: `always` before being queued (the flow's `reverify_node`,
        default `records_id`; then queued with both waits credited), `records` only for a record
        self-service (key 7 while holding), `never`. None (the normal IVR) when the reference is unknown,
        expired or used, or the flow has no route node."""
        ctx = Ctx(self, state, flow)
        node_id = (flow.settings.handoff_node or "") or next(
            (nid for nid, node in flow.nodes.items() if node.type == "route"), "")
        if node_id not in flow.nodes or flow.nodes[node_id].type != "route":
            log.error("call %s arrived with a handoff but flow %s has no route node", ctx.call_id, flow.name)
            return None
        policy = str(getattr(self.platform.settings, "handoff_reverify", "never") or "never")
        try:
            arrival = self.homes.switch.claim_arrival(ctx.call_id, reference, caller=ctx.caller,
                                                      channel=state["channel"], enqueue=policy != "always")
        except Exception:
            log.exception("claiming the handoff of call %s failed", ctx.call_id)
            arrival = None
        if arrival is None:
            ctx.event("handoff", status="refused")
            return None
        handed = arrival.context
        verified = bool(handed.get("verified"))
        v = ctx.vars
        v.update(province=arrival.center_code, province_confirmed=True, province_chosen=False,
                 topic=arrival.topic, transferred_from=arrival.from_center,
                 verified_elsewhere=verified, id_masked=handed.get("verified_id_masked"))
        from_name = provinces.name_of(arrival.from_center)
        center_name = provinces.name_of(arrival.center_code)
        state["route"] = {"province": arrival.center_code, "center_code": arrival.center_code,
                          "queue_id": arrival.queue_id, "topic": arrival.topic, "priority": 1,
                          "reasons": [{"code": "handoff", "text": f"由{from_name}12333转接"}]}
        state["handoff_node"] = node_id
        reverify_node = flow.settings.reverify_node or "records_id"
        if policy == "always" and verified and reverify_node in flow.nodes:
            # the sender's verification is not taken: the caller verifies here before being queued
            v.update(handoff_pending=arrival.to_dict(), handoff_since=ctx.now(), reverify="required")
            ctx.event("handoff", status="claimed", from_center=arrival.from_center, queue_id=arrival.queue_id,
                      remote_call_id=handed.get("remote_call_id"), verified=verified, reverify="always")
            ctx.say("handoff_arrived", center_name=center_name, from_name=from_name)
            ctx.say("handoff_reverify_always", center_name=center_name)
            return Goto(reverify_node)
        if arrival.status is None:  # "always", but nothing to verify again (or no verification node)
            if verified:
                log.error("flow %s has no node %s to verify handed-over callers again; the sender's check is "
                          "trusted", flow.name, reverify_node)
            arrival = self.homes.switch.enqueue_arrival(ctx.call_id, arrival, caller=ctx.caller)
        v["verified_trusted"] = verified  # the sender's check stands for the agent (ivr.call_context)
        if policy == "records" and verified:
            v.update(handoff_arrival=arrival.to_dict(), reverify="records")
        state["node"], state["step"] = node_id, "hold"
        state["path"].append(node_id)
        state["events"].append({"t": ctx.t(), "type": "node", "node": node_id, "node_type": "route"})
        status = arrival.status
        state["queue"] = {"queue_id": arrival.queue_id, "since": ctx.now(), "announced": ctx.now(),
                          "state": getattr(status, "state", None)}
        ctx.event("handoff", status="claimed", from_center=arrival.from_center, queue_id=arrival.queue_id,
                  remote_call_id=handed.get("remote_call_id"), verified=verified, reverify=policy)
        ctx.say("handoff_welcome", center_name=center_name, from_name=from_name)
        return HANDLERS["route"].after_status(ctx, status, announce=True)  # type: ignore[attr-defined]

    def _recording_notice(self, entry: str) -> bool:
        """Whether this entry's callers hear the recording notice before an agent (recordings home)."""
        try:
            return bool(self.platform.recordings.consent_required(entry))
        except ModuleNotFoundError:  # a node without the recordings home records nothing
            return False

    def resume(self, call_id: str, result: Result) -> Action:
        with self.store.lock(self._lock_key(call_id)):
            state = self._load(call_id)
            if state is None:
                return Hangup("unknown_call")
            if state.get("done"):
                return Hangup(str(state.get("outcome") or "ended"))
            flow = self.flows.flow(int(state["flow_id"]))
            if isinstance(result, CallerHangup):
                self._finish(state, self._hangup_outcome(state, "caller_hangup"))
                self._save(state, None)
                return Hangup(state["outcome"])
            stashed = state.pop("after_play", None)
            if stashed is not None:
                action = action_from_dict(stashed)
                self._save(state, action)
                return action
            ctx = Ctx(self, state, flow)
            try:
                step = HANDLERS[flow.nodes[state["node"]].type].resume(ctx, _as_result(result))
            except Exception:
                log.exception("IVR node %s failed on call %s", state.get("node"), call_id)
                step = self.system_error(ctx)
            action = self._advance(state, flow, step)
            self._save(state, action)
            return action

    def hangup(self, call_id: str, reason: str = "caller_hangup") -> None:
        with self.store.lock(self._lock_key(call_id)):
            state = self._load(call_id)
            if state is None:  # the engine's state has expired: the ACD may still know the call
                self._caller_left(call_id, reason)
                return
            if state.get("done"):  # ended by the flow (Hangup/Transfer): the channel's end may still
                if _reached_acd(state):  # leave a connected call in the ACD
                    self._caller_left(call_id, reason, state.get("queue"))
                return
            self._finish(state, self._hangup_outcome(state, reason))
            self._save(state, None)

    # -- the loop -------------------------------------------------------------------------
    def _advance(self, state: dict[str, Any], flow: Flow, step: Step) -> Action:
        ctx = Ctx(self, state, flow)
        hops = 0
        while isinstance(step, Goto):
            target = step.target
            hops += 1
            if hops > MAX_HOPS or target not in flow.nodes:
                log.error("call %s: bad transition to %r after %d hops", state["call_id"], target, hops)
                # the error node (a Goto, once per call) is followed like any other; else a Hangup ends the loop
                step = self.system_error(ctx)
                hops = 0
                continue
            state["node"], state["step"], state["retries"] = target, "", 0
            state["path"].append(target)
            state["events"].append({"t": ctx.t(), "type": "node", "node": target,
                                    "node_type": flow.nodes[target].type})
            try:
                step = HANDLERS[flow.nodes[target].type].enter(ctx)
            except Exception:
                log.exception("IVR node %s failed on call %s", target, state["call_id"])
                step = self.system_error(ctx)
        action = self._with_pending(state, step)
        for prompt in getattr(action, "prompts", ()):
            state["events"].append({"t": ctx.t(), "type": "prompt", "id": prompt.id, "text": scrub(prompt.text),
                                    "language": prompt.language})
        if isinstance(action, Hangup):
            self._finish(state, self._hangup_outcome(state, action.reason))
        return action

    def _with_pending(self, state: dict[str, Any], action: Action) -> Action:
        pending = tuple(Prompt.from_dict(p) for p in state.pop("pending", []) or [])
        state["pending"] = []
        if not pending:
            return action
        if isinstance(action, Play | Collect | Listen | Hold | Hangup):
            return replace(action, prompts=pending + tuple(action.prompts))
        if isinstance(action, Connect | Transfer):
            state["after_play"] = action.to_dict()
            return Play(prompts=pending)
        return action

    def system_error(self, ctx: Ctx) -> Step:
        ctx.event("error", node=ctx.state.get("node"))
        target = ctx.flow.settings.on_error
        if target and target in ctx.flow.nodes and ctx.state.get("node") != target and not ctx.state.get("errored"):
            ctx.state["errored"] = True
            ctx.say("system_error")
            return Goto(target)
        return Hangup("error", (ctx.prompt("system_error"),))

    def give_up(self, ctx: Ctx) -> Step:
        return Hangup("too_many_attempts", (ctx.prompt("goodbye"),))

    # -- the end of a call --------------------------------------------------------------------
    def _hangup_outcome(self, state: dict[str, Any], reason: str) -> str:
        queue = state.get("queue") or {}
        if reason == "caller_hangup" and queue.get("state") in ("waiting", "offered"):
            return "abandoned"
        if reason == "transferred" or state.get("outcome_hint") == "transferred":
            return "transferred"
        return reason

    def _finish(self, state: dict[str, Any], outcome: str) -> None:
        if state.get("done"):
            return
        state["done"] = True
        state["outcome"] = outcome
        ctx = Ctx(self, state, self.flows.flow(int(state["flow_id"])))
        self.store.delete(secret_key(state["call_id"]))
        self.settle_acd(ctx, "caller_hangup" if outcome in ("abandoned", "caller_hangup") else outcome)
        state["events"].append({"t": ctx.t(), "type": "hangup", "outcome": outcome, "node": state.get("node")})
        try:
            self.homes.records.end_session(state["call_id"])
        except Exception:
            log.exception("records.end_session failed for call %s", state["call_id"])
        try:
            self.calls.finished(state)
        except Exception:
            log.exception("could not write the call log for %s", state["call_id"])
        state["vars"].pop("id_number", None)  # the lingering state keeps only the masked ID
        self.emit(CallEnded(call_id=state["call_id"], outcome=outcome, flow_version=state.get("flow_version"),
                            path=state.get("path", [])[-20:], province=_scope(state)))

    def settle_acd(self, ctx: Ctx, reason: str) -> None:
        """Tell the ACD the caller left (`AcdApi.caller_left`, idempotent): abandon a queued call, end a
        connected one. Asked whenever the call ever reached the ACD — the ACD, not this call's copy
        of the queue state, knows whether a console action moved it meanwhile."""
        if _reached_acd(ctx.state):
            self._caller_left(ctx.call_id, reason, ctx.state.get("queue"))

    def _caller_left(self, call_id: str, reason: str, queue: dict[str, Any] | None = None) -> None:
        try:
            settled = self.homes.agents.caller_left(call_id, reason)
        except Exception:
            log.exception("could not settle the ACD for call %s", call_id)
            return
        if settled and queue is not None:
            queue["state"] = settled

    # -- state ----------------------------------------------------------------------------
    @staticmethod
    def _key(call_id: str) -> str:
        return f"ivr:call:{call_id}"

    @staticmethod
    def _lock_key(call_id: str) -> str:
        return f"ivr:call-lock:{call_id}"

    def _load(self, call_id: str) -> dict[str, Any] | None:
        raw = self.store.get(self._key(call_id))
        return fastjson.loads(raw) if raw else None

    def _save(self, state: dict[str, Any], action: Action | None) -> None:
        state["last_action"] = action.to_dict() if action is not None else None
        state["touched"] = self.clock.time()
        ttl = DONE_TTL if state.get("done") else STATE_TTL
        self.store.set(self._key(state["call_id"]), fastjson.dumps(state, default=str), ttl=ttl)

    def state(self, call_id: str) -> dict[str, Any] | None:
        """The live JSON state of a call (None once it expired)."""
        return self._load(call_id)

    # -- services used by handlers -------------------------------------------------------
    def emit(self, event: DomainEvent) -> None:
        """Emit a call's event; a failing bus never fails the call."""
        try:
            self.platform.bus.emit(event)
        except Exception:
            log.exception("publishing %s failed", event.type)

    def classifier(self) -> IntentClassifier:
        if self._classifier is None:
            self._classifier = IntentClassifier.load_or_train(self.platform.settings.data_dir / "ivr")
        return self._classifier

    def local_now(self) -> datetime:
        return china_now(self.clock)

    def hours_state(self, ctx: Ctx) -> Any:
        """Agent service for the caller's center (province known or detected, else the entry center)
        as the switch will route it: closed only when no overflow center answers either (reason
        "overflow" = open elsewhere); also leaves its spoken text in `hours_text` for prompts."""
        v = ctx.vars
        if "detected_province" not in v:
            self.detected_province(ctx)
        center = str(v.get("province") or v.get("detected_province") or v.get("entry_center") or "00")
        state = ctx.hours.get(center)
        if state is None:
            try:  # service_state: the caller's center, or the overflow center that answers while it is closed
                state = self.homes.switch.service_state(center)
            except KeyError:
                state = self.homes.switch.service_state("00")
            ctx.hours[center] = state
        v["hours_text"] = getattr(state, "text_zh", "") or ""
        v["holiday_name"] = getattr(state, "holiday", None)
        return state

    def queue_ewt(self, ctx: Ctx) -> int | None:
        if not ctx.state.get("queue"):
            return None
        status = self.homes.agents.call_status(ctx.call_id)
        return getattr(status, "ewt_seconds", None)

    def detected_province(self, ctx: Ctx) -> str | None:
        try:
            code = self.homes.switch.detected_province(ctx.caller)
        except Exception:
            log.exception("detected_province failed")
            code = None
        ctx.vars["detected_province"] = code
        return code

    def note_id(self, ctx: Ctx, id_number: str) -> None:
        ctx.vars["id_masked"] = mask_id(id_number)

    def save_survey(self, ctx: Ctx, *, question: str, score: int, label: str) -> None:
        self.calls.save_survey(ctx.state, question=question, score=score, label=label)

    def queue_context(self, ctx: Ctx) -> dict[str, Any]:
        """What the agent's screen pop gets with the queued call (masked)."""
        v = ctx.vars
        return {"ivr_path": ctx.state["path"][-30:], "inputs": ctx.state["inputs"][-20:],
                "verified": bool(v.get("verified")), "verified_id_masked": v.get("id_masked") if v.get("verified")
                else None, "kb_answer": v.get("kb_answer"), "flow_version": ctx.state.get("flow_version"),
                "routing": [r.get("code") for r in (ctx.state.get("route") or {}).get("reasons", [])],
                "routing_reasons": list((ctx.state.get("route") or {}).get("reasons", [])),
                "channel": ctx.state["channel"], "language": ctx.lang, "province": v.get("province"),
                "utterance": v.get("utterance"), "entry": ctx.state["entry"]}


HANDOFF_KEYS = ("handoff", "HOTLINE_HANDOFF_IN")


def handoff_reference(args: dict[str, Any]) -> str | None:
    """The handoff token or 8-digit code a call arrived with (and remove it from `args`): the `handoff`
    argument (Twilio's SIP header, a FastAGI query `?handoff=`) or an AGI argument `handoff=<ref>`."""
    for key in HANDOFF_KEYS:
        value = args.pop(key, None)
        if value:
            return str(value).strip() or None
    for key in [k for k in args if k.startswith("arg")]:
        value = str(args[key] or "")
        if value.startswith("handoff="):
            args.pop(key)
            return value.removeprefix("handoff=").strip() or None
    return None


def _scope(state: dict[str, Any]) -> str:
    """The province a call's events belong to: the caller's province once known, else the entry center."""
    v = state.get("vars") or {}
    return str(v.get("province") or v.get("detected_province") or v.get("entry_center") or "00")


def _as_result(result: Result) -> Result:
    """`Timeout()` after a Play is a finished Play; keep everything else."""
    return result if not isinstance(result, Played) else Timeout()


def _reached_acd(state: dict[str, Any]) -> bool:
    """Whether the call was ever queued (by the flow, or as a handed-over arrival): only then can
    the ACD hold it."""
    return bool(state.get("queue") or state.get("vars", {}).get("handoff_arrival"))
