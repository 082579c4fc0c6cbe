"""The Twilio voice channel: one method per webhook, each returning the next TwiML document.

The engine keeps the call's IVR state in the state store; this adapter keeps only what Twilio's
next webhook needs (the step number, the kind of the pending action, the last TwiML), in the hash
`twilio:call:<CallSid>`, under a store lock. Any node can therefore answer any webhook, a retried
webhook gets the same TwiML again instead of advancing the call twice, and a REST push racing a
hold redirect cannot resume the engine twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from twilio.twiml.voice_response import VoiceResponse

from core import phone
from core.masking import mask_phone
from ivr.actions import Action, CallerHangup, Connect, Hold, HoldTick, Transfer, is_final
from ivr.api import IvrHost
from ivr.twilio import twiml
from ivr.twilio.config import TwilioConfig
from ivr.twilio.recording import recording_callback, whole_call_callback
from ivr.twilio.rest import CallControl, Joined
from ivr.twilio.results import DIAL_REASONS, FINAL_STATUSES, result_for
from switch.handoff import SIP_HEADER

log = logging.getLogger(__name__)

CHANNEL = "twilio"
STATE_TTL_S = 6 * 3600  # longer than any call
ENDED_TTL_S = 600  # keep an ended call's state a while to absorb late webhooks

PATH_INCOMING = "/twilio/voice"
PATH_STEP = "/twilio/voice/step"
PATH_DIAL = "/twilio/voice/dial"
PATH_STATUS = "/twilio/voice/status"
PATH_OUTBOUND = "/twilio/voice/outbound"
PATH_CALLBACK = "/twilio/voice/callback"  # the citizen answered a callback: bridge the agent
PATH_CALLBACK_STATUS = "/twilio/voice/callback/status"
PATH_CONFERENCE_AGENT = "/twilio/voice/conference/agent"  # the agent's conference leg ended (status)
PATH_HANDOFF_CODE = "/twilio/voice/handoff"  # the keyed handoff code of a call on a handoff number
HANDOFF_CODE = re.compile(r"^[0-9]{8}$")
MONITOR_LABELS = {"listen": "supervisor-listen", "whisper": "supervisor-whisper", "barge": "supervisor-barge"}
CALLBACK_STATUSES = {"no-answer": "no_answer", "busy": "busy", "failed": "failed", "canceled": "failed",
                     "completed": "no_answer"}  # "completed" without the answer webhook: nobody took it

# Status-callback CallStatus -> reason given to platform.ivr.hangup
HANGUP_REASONS = {
    "completed": "caller_hangup",
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "canceled",
}


def state_key(call_sid: str) -> str:
    return f"twilio:call:{call_sid}"


def callback_key(call_sid: str) -> str:
    return f"twilio:callback:{call_sid}"


class TwilioVoice:
    def __init__(self, platform: IvrHost, config: TwilioConfig | None = None,
                 calls: CallControl | None = None) -> None:
        self.platform = platform
        self.config = config or TwilioConfig.from_settings(platform.settings)
        self.calls = calls or CallControl(self.config)

    # ------------------------------------------------------------------ webhooks

    def incoming(self, params: Mapping[str, str], *, keyed_handoff: bool = False) -> str:
        """A new call (the number's Voice URL): start the engine and render its first action. On a
        handoff number the call first listens for the keyed handoff code (`handoff_code`)."""
        sid = _sid(params)
        with self._lock(sid):
            state = self.platform.store.hgetall(state_key(sid))
            if state:  # Twilio retried the first webhook: answer the same
                return state.get("twiml") or twiml.sorry(self.config)
            handoff = params.get(f"SipHeader_{SIP_HEADER}")  # a call handed over by another deployment
            if not handoff and not keyed_handoff and (params.get("To") or "").strip() in self.config.handoff_numbers:
                return twiml.await_handoff_code(self.config, self.config.public_url + PATH_HANDOFF_CODE)
            if keyed_handoff:
                digits = (params.get("Digits") or "").strip()
                handoff = digits if HANDOFF_CODE.match(digits) else None
                if digits and not handoff:
                    log.info("twilio: call %s keyed %d digits on a handoff number, not a code: normal IVR",
                             sid, len(digits))
            entry, center = self.config.entry_for(params.get("To"))
            args: dict[str, Any] = {"speech": self.config.speech}
            if center:
                args["entry_center"] = center
            if handoff:
                args["handoff"] = handoff
            try:
                action = self.platform.ivr.start_call(call_id=sid, caller=params.get("From") or None,
                                                      called=entry, channel=CHANNEL, args=args)
            except Exception:
                log.exception("twilio: the IVR engine could not start call %s", sid)
                return twiml.sorry(self.config)
            try:
                whole = whole_call_callback(self.platform, self.config, sid, entry, caller=params.get("From"),
                                            center=center)
            except Exception:  # the call goes on unrecorded rather than not at all
                log.exception("twilio: could not open the whole-call recording of %s", sid)
                whole = None
            return self._emit(sid, action, 1, whole_call=whole)

    def step(self, params: Mapping[str, str], n: int) -> str:
        """The outcome of the action rendered at step `n` (Gather action, Redirect, Dial action)."""
        sid = _sid(params)
        with self._lock(sid):
            state = self.platform.store.hgetall(state_key(sid))
            if not state:
                log.warning("twilio: webhook for unknown call %s (step %s)", sid, n)
                return twiml.sorry(self.config)
            current = int(state.get("step", "0"))
            if n != current or state.get("ended") == "1":
                # A retry, a stale redirect after a REST push, or a webhook after the end: repeat the
                # current TwiML rather than resuming the engine with an outcome of the wrong action.
                return state.get("twiml") or twiml.sorry(self.config)
            result = result_for(state.get("pending", ""), params, hold_keys=state.get("keys", ""))
            try:
                action = self.platform.ivr.resume(sid, result)
            except Exception:
                log.exception("twilio: the IVR engine failed on call %s at step %s", sid, n)
                self._end(sid)
                try:  # we hang up now, so the later status callback will not end the call for us
                    self.platform.ivr.hangup(sid, "error")
                except Exception:
                    log.exception("twilio: engine hangup failed for call %s", sid)
                self._end(sid, engine_told=True)
                return twiml.sorry(self.config)
            if isinstance(result, CallerHangup):  # the engine has ended the call and settled the ACD
                self._end(sid, engine_told=True)
            return self._emit(sid, action, n + 1)

    def status(self, params: Mapping[str, str]) -> bool:
        """The status callback: a call that ended (completed, busy, no-answer, failed, canceled) ends
        in the engine and the ACD, so abandonment and handling times are counted. True if it ended now."""
        sid = _sid(params)
        call_status = params.get("CallStatus", "")
        if call_status not in FINAL_STATUSES:
            return False
        with self._lock(sid):
            state = self.platform.store.hgetall(state_key(sid))
            if not state:
                return False
            already = state.get("ended") == "1"
            if state.get("engine_told") != "1":
                # Also after the flow's own Hangup/Transfer: the engine then only settles the ACD, which
                # may still hold a connected call (`caller_left`). Once per call: Twilio may repeat this.
                try:
                    self.platform.ivr.hangup(sid, "caller_hangup" if already else HANGUP_REASONS[call_status])
                except Exception:
                    log.exception("twilio: engine hangup failed for call %s", sid)
            self._end(sid, engine_told=True)
            self.platform.store.expire(state_key(sid), ENDED_TTL_S)
            return not already

    # ------------------------------------------------------------------ ACD wake-ups

    def wake(self, call_id: str) -> bool:
        """The ACD state of a held call changed (e.g. an agent accepted): resume the engine with
        `HoldTick()` and push the resulting TwiML (usually `<Dial>`) into the live call."""
        with self._lock(call_id):
            state = self.platform.store.hgetall(state_key(call_id))
            if not state or state.get("ended") == "1" or state.get("pending") != "hold":
                return False
            n = int(state.get("step", "0"))
            action = self.platform.ivr.resume(call_id, HoldTick())
            if isinstance(action, Hold):
                # Still waiting: the new announcement can wait for the next redirect (which stays
                # valid); restarting the hold music now would only annoy the caller.
                self.platform.store.hset(state_key(call_id), {"keys": action.keys})
                return False
            document = self._emit(call_id, action, n + 1)
        pushed = self.calls.update_twiml(call_id, document)
        if not pushed:
            log.info("twilio: could not push step %s into call %s; the next hold redirect picks it up",
                     n + 1, call_id)
        return pushed

    def end_bridge(self, call_id: str) -> bool:
        """The console ended (or transferred) a connected call: push a `<Redirect>` to the Dial's action URL
        into the live call, which ends the agent leg; the engine then goes on (survey, or the new queue)."""
        with self._lock(call_id):
            state = self.platform.store.hgetall(state_key(call_id))
            if not state or state.get("ended") == "1" or state.get("pending") != "connect":
                return False
            n = int(state.get("step", "0"))
        pushed = self.calls.update_twiml(call_id, _redirect(self.config.url(f"{PATH_DIAL}?n={n}")))
        log.info("twilio: console ended the agent leg of call %s: %s", call_id, "pushed" if pushed else "not pushed")
        return pushed

    def push_transfer(self, call_id: str, data: Mapping[str, Any]) -> bool:
        """An agent transferred a connected call to a remote deployment (`acd.call.transferred`,
        kind "remote"): push `<Dial>` to the other deployment's trunk with the handoff reference into
        the live call, which leaves the agent's leg. True when Twilio accepted the new TwiML."""
        ticket = data.get("ticket") or {}
        if data.get("kind") != "remote" or not ticket.get("token"):
            return False
        with self._lock(call_id):
            state = self.platform.store.hgetall(state_key(call_id))
            if not state or state.get("ended") == "1":
                return False
            n = int(state.get("step", "0"))
            action = Transfer(center_code=str(data.get("center_code") or ""), trunk=data.get("trunk"),
                              token=str(ticket["token"]), code=str(ticket.get("code") or ""))
            document = self._emit(call_id, action, n + 1)
        return self.calls.update_twiml(call_id, document)

    # ------------------------------------------------------------------ callbacks (outbound)

    def dial_callback(self, call_id: str, endpoint: str | None, agent_id: int | None) -> str | None:
        """An agent accepted a callback: ring the citizen through Twilio's REST API. When they answer,
        `callback_answered` bridges the agent; the status callback reports no answer / busy / failure
        to the ACD (which retries per its policy). Returns the new CallSid, None if it could not dial."""
        agents = self.platform.agents
        number = agents.callback_number(call_id, actor="system:twilio")
        info = phone.try_parse(number)
        sid = None
        if info is not None and self.config.caller_id:
            query = f"?call_id={quote(call_id)}"
            sid = self.calls.create_call(to=info.e164, from_=self.config.caller_id,
                                         url=self.config.url(PATH_CALLBACK + query),
                                         status_callback=self.config.url(PATH_CALLBACK_STATUS + query))
        else:
            log.warning("twilio: cannot ring back call %s (%s)", call_id,
                        "no TWILIO_CALLER_ID" if info is not None else "no valid number")
        if sid is None:
            agents.callback_result(call_id, "failed")
            return None
        key = callback_key(sid)
        self.platform.store.hset(key, {"call_id": call_id, "endpoint": endpoint or "",
                                       "agent_id": "" if agent_id is None else str(agent_id), "answered": ""})
        self.platform.store.expire(key, STATE_TTL_S)
        log.info("twilio: ringing back call %s (%s) as %s", call_id, mask_phone(number), sid)
        return sid

    def callback_answered(self, params: Mapping[str, str], call_id: str) -> str:
        """The citizen picked up: the callback is reached; greet them and dial the agent."""
        sid = _sid(params)
        with self._lock(sid):
            state = self.platform.store.hgetall(callback_key(sid))
            if not state or state.get("call_id") != call_id:
                log.warning("twilio: callback webhook for an unknown call %s", sid)
                return twiml.sorry(self.config)
            self.platform.store.hset(callback_key(sid), {"answered": "1"})
        self.platform.agents.callback_result(call_id, "reached")
        agent = state.get("agent_id")
        return twiml.callback_bridge(self.config, endpoint=state.get("endpoint") or None,
                                     agent_id=int(agent) if agent else None, call_id=call_id)

    def callback_status(self, params: Mapping[str, str], call_id: str) -> None:
        """The callback leg ended: after an answer the conversation is over; otherwise no answer, busy
        or failed goes to the ACD's retry policy."""
        sid = _sid(params)
        status = params.get("CallStatus", "")
        if status not in FINAL_STATUSES:
            return
        with self._lock(sid):
            state = self.platform.store.hgetall(callback_key(sid))
            if not state or state.get("call_id") != call_id or state.get("ended") == "1":
                return
            self.platform.store.hset(callback_key(sid), {"ended": "1"})
        if state.get("answered") == "1":
            self.platform.agents.end_call(call_id, "completed")
        else:
            self.platform.agents.callback_result(call_id, CALLBACK_STATUSES.get(status, "failed"))

    # ------------------------------------------------------------------ conference legs

    def _ring_agent_into_conference(self, action: Connect, n: int) -> Joined | None:
        """TWILIO_AGENT_LEG=conference: ring the agent who accepted into the call's conference. The
        agent's leg ends the conference when it hangs up; its status callback reports a leg that never
        answered (`agent_leg_status`). The agent's leg, or None when Twilio refused."""
        kind, target = twiml.endpoint_target(action.endpoint, action.agent_id, self.config)
        if kind == "number" and not self.config.caller_id:
            log.warning("twilio: cannot ring agent %s on a number without TWILIO_CALLER_ID", action.agent_id)
            return None
        query = f"?call_id={quote(action.call_id)}&n={n}"
        return self.calls.add_participant(
            twiml.conference_name(action.call_id), from_=self.config.caller_id or "12333",
            to=twiml.participant_address(kind, target), label="agent",
            status_callback=self.config.url(PATH_CONFERENCE_AGENT + query), timeout=twiml.DIAL_TIMEOUT_S,
            start_conference_on_enter=True, end_conference_on_exit=True)

    def agent_leg_status(self, params: Mapping[str, str], call_id: str, n: int) -> bool:
        """The agent's conference leg ended. After a conversation the conference ended with it and
        Twilio requests the caller's Dial action by itself; a leg that never answered (no-answer,
        busy, failed, canceled) sends the caller on now, as an unanswered `<Dial>` would. True if pushed."""
        status = params.get("CallStatus", "")
        if status not in FINAL_STATUSES or status == "completed":
            return False
        with self._lock(call_id):
            state = self.platform.store.hgetall(state_key(call_id))
            if (not state or state.get("ended") == "1" or state.get("pending") != "connect"
                    or state.get("step") != str(n) or state.get("agent_call_sid") != params.get("CallSid")):
                return False
        pushed = self.calls.update_twiml(call_id, _redirect(self.config.url(f"{PATH_DIAL}?n={n}&agent={status}")))
        log.info("twilio: the agent leg of call %s ended %s before answering: caller %s", call_id, status,
                 "sent on" if pushed else "not reached")
        return pushed

    def monitor(self, call_id: str, mode: str, endpoint: str) -> str | None:
        """A supervisor listens to (muted), whispers to (coaching the agent: only the agent hears) or
        barges into (heard by both) a connected call: their phone or browser is rung into the call's
        conference. Needs TWILIO_AGENT_LEG=conference. The supervisor leg's CallSid, or None."""
        if mode not in MONITOR_LABELS:
            raise ValueError(f"unknown monitor mode {mode!r}")
        if not self.config.conference_legs:
            log.warning("twilio: %s on call %s needs TWILIO_AGENT_LEG=conference", mode, call_id)
            return None
        state = self.platform.store.hgetall(state_key(call_id))
        agent_sid = state.get("agent_call_sid") or ""
        if not state or state.get("ended") == "1" or state.get("pending") != "connect" or not agent_sid:
            log.info("twilio: %s on call %s: the call is not connected to an agent", mode, call_id)
            return None
        kind, target = twiml.endpoint_target(endpoint, None, self.config)
        if kind == "number" and not self.config.caller_id:
            log.warning("twilio: cannot ring a supervisor's number without TWILIO_CALLER_ID")
            return None
        options: dict[str, Any] = {"muted": mode == "listen", "end_conference_on_exit": False,
                                   "start_conference_on_enter": False}
        if mode == "whisper":
            options.update(coaching=True, call_sid_to_coach=agent_sid)
        joined = self.calls.add_participant(twiml.conference_name(call_id), from_=self.config.caller_id or "12333",
                                            to=twiml.participant_address(kind, target), label=MONITOR_LABELS[mode],
                                            **options)
        log.info("twilio: %s on call %s: %s", mode, call_id, "ringing the supervisor" if joined else "refused")
        return joined.call_sid if joined else None

    def hold(self, call_id: str, on: bool) -> bool:
        """The console's hold / resume on a conference call: the caller's participant is held (hears the
        hold music, the agent cannot be heard by them nor they by the agent) or taken back. A `<Dial>`
        leg cannot be held without ending it, so with TWILIO_AGENT_LEG=dial this does nothing (the
        console disables the button). True when Twilio accepted it."""
        state = self.platform.store.hgetall(state_key(call_id))
        conference = state.get("conference_sid") or ""
        if not state or state.get("ended") == "1" or state.get("pending") != "connect" or not conference:
            return False
        done = self.calls.hold_participant(conference, call_id, on, self.config.hold_music_url)
        log.info("twilio: call %s %s: %s", call_id, "held" if on else "resumed", "ok" if done else "refused")
        return done

    def is_twilio_call(self, call_id: str) -> bool:
        return bool(self.platform.store.hget(state_key(call_id), "step"))

    # ------------------------------------------------------------------ internals

    def _emit(self, sid: str, action: Action, n: int, whole_call: str | None = None) -> str:
        links = twiml.Links(step=self.config.url(f"{PATH_STEP}?n={n}"), dial=self.config.url(f"{PATH_DIAL}?n={n}"),
                            recording=recording_callback(self.platform, self.config, action),
                            whole_call=whole_call)
        try:
            document = twiml.render(action, self.config, links)
        except ValueError:
            log.exception("twilio: cannot render %s for call %s", action.kind, sid)
            document = twiml.sorry(self.config)
        fields = {"step": str(n), "pending": action.kind, "twiml": document, "keys": getattr(action, "keys", ""),
                  "agent_call_sid": "", "conference_sid": ""}
        if isinstance(action, Connect) and self.config.conference_legs:
            joined = self._ring_agent_into_conference(action, n)
            if joined:
                fields.update(agent_call_sid=joined.call_sid, conference_sid=joined.conference_sid)
            else:  # nobody will join: the caller goes on at once as after an unanswered <Dial>
                fields["twiml"] = document = _redirect(self.config.url(f"{PATH_DIAL}?n={n}&agent=failed"))
        key = state_key(sid)
        self.platform.store.hset(key, fields)
        self.platform.store.expire(key, STATE_TTL_S)
        if is_final(action):
            self._end(sid)
            if isinstance(action, Transfer):
                self.platform.ivr.hangup(sid, "transferred")
        return document

    def _end(self, sid: str, *, engine_told: bool = False) -> None:
        """The call is over for the caller; `engine_told`: and the engine knows the channel ended."""
        self.platform.store.hset(state_key(sid), {"ended": "1", **({"engine_told": "1"} if engine_told else {})})

    def _lock(self, sid: str) -> Any:
        return self.platform.store.lock(f"twilio:{sid}", timeout=10.0)


def _redirect(url: str) -> str:
    response = VoiceResponse()
    response.redirect(url, method="POST")
    return str(response)


def dial_outcome(params: Mapping[str, str], agent: str | None) -> dict[str, str]:
    """The Dial-action form, with the outcome of a conference agent leg that never answered (passed
    in the redirect's query) where Twilio's own DialCallStatus is absent."""
    merged = dict(params)
    if agent in DIAL_REASONS and not merged.get("DialCallStatus"):
        merged["DialCallStatus"] = agent
    return merged


def _sid(params: Mapping[str, str]) -> str:
    sid = (params.get("CallSid") or "").strip()
    if not sid:
        raise ValueError("a Twilio voice webhook without CallSid")
    return sid
