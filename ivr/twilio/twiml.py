"""Render one engine `Action` as a TwiML document.

Every document ends by sending Twilio back to this node with the outcome: `<Gather action=...>` for
input, `<Redirect>` after prompts and hold music, `<Dial action=...>` for the agent leg. The URLs
carry the step number, so a retried or late webhook is recognised (see `voice.TwilioVoice`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.actions import Action, Collect, Connect, Hangup, Hold, Listen, Play, Prompt, Transfer
from ivr.twilio.config import TwilioConfig
from switch.handoff import SIP_HEADER

# Spoken when the platform cannot go on with a call (lost state, engine failure).
SORRY_TEXT = "对不起，系统暂时无法处理您的来电，请稍后再拨。"
DIAL_TIMEOUT_S = 20  # ring the agent this long before Twilio reports no-answer


@dataclass(frozen=True)
class Links:
    """Where Twilio reports the outcome of the rendered action."""

    step: str  # Gather action / Redirect target
    dial: str  # Dial action (agent leg ended)
    recording: str | None = None  # recording-status callback: record the agent leg (dual channel)
    whole_call: str | None = None  # recording-status callback: record the whole call from here (<Start>)


def audio_url(config: TwilioConfig, audio: str | None) -> str | None:
    """A playable URL for a recorded prompt, or None to fall back to text-to-speech."""
    if not audio:
        return None
    if audio.startswith(("https://", "http://")):
        return audio
    if config.prompt_audio_url:
        return config.prompt_audio_url.format(name=quote(audio))
    return None


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def spoken_language(prompt: Prompt) -> str:
    """"zh" or "en": the script of the text decides, not the call's language, because a menu offers
    the other language in that language ("For English, press 9" in a Mandarin call)."""
    if _CJK.search(prompt.text):
        return "zh"
    if _LATIN.search(prompt.text):
        return "en"
    return "en" if prompt.language == "en" else "zh"


def add_prompts(parent: VoiceResponse | Gather, prompts: tuple[Prompt, ...], config: TwilioConfig) -> None:
    for prompt in prompts:
        url = audio_url(config, prompt.audio)
        if not url and config.player is not None:  # TWILIO_TTS=platform: the platform's speech layer
            url = config.player(prompt)
        if url:
            parent.play(url)
        elif spoken_language(prompt) == "en":
            parent.say(prompt.text, voice=config.voice_en, language="en-US")
        else:
            parent.say(prompt.text, voice=config.voice, language=config.say_language)


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _gather(links: Links, **attrs: object) -> Gather:
    return Gather(action=links.step, method="POST", action_on_empty_result=True, **attrs)


def render(action: Action, config: TwilioConfig, links: Links) -> str:
    response = VoiceResponse()
    if links.whole_call:  # first document of a call whose entry records everything, IVR included
        response.start().recording(recording_status_callback=links.whole_call,
                                   recording_status_callback_event="in-progress completed",
                                   recording_status_callback_method="POST",
                                   channels="dual", track="both", trim="do-not-trim")
    if isinstance(action, Play):
        if action.barge_in:
            gather = _gather(links, input="dtmf", num_digits=1, timeout=1)
            add_prompts(gather, action.prompts, config)
            response.append(gather)
        else:
            add_prompts(response, action.prompts, config)
        response.redirect(links.step, method="POST")
    elif isinstance(action, Collect):
        attrs: dict[str, object] = {
            "input": "dtmf",
            "timeout": _seconds(max(action.timeout_s, action.inter_digit_timeout_s)),
            "num_digits": action.max_digits,
            "finish_on_key": action.terminator or "",
        }
        gather = _gather(links, **attrs)
        add_prompts(gather, action.prompts, config)
        response.append(gather)
        response.redirect(links.step, method="POST")
    elif isinstance(action, Listen):
        gather = _gather(links, input="dtmf speech", language=config.gather_language, speech_timeout="auto",
                         timeout=_seconds(action.timeout_s), num_digits=1)
        add_prompts(gather, action.prompts, config)
        response.append(gather)
        response.redirect(links.step, method="POST")
    elif isinstance(action, Hold):
        target: VoiceResponse | Gather = response
        if action.keys:
            target = _gather(links, input="dtmf", num_digits=1, timeout=1)
        add_prompts(target, action.prompts, config)
        if action.music:
            target.play(config.hold_music_url)
        else:
            target.pause(length=_seconds(action.max_seconds))
        if target is not response:
            response.append(target)
        response.redirect(links.step, method="POST")
    elif isinstance(action, Connect):
        response.append(_dial_agent(action, config, links))
    elif isinstance(action, Transfer):
        _render_transfer(response, action, config, links)
    elif isinstance(action, Hangup):
        add_prompts(response, action.prompts, config)
        response.hangup()
    else:  # pragma: no cover - the Action union is closed
        raise TypeError(f"cannot render {type(action).__name__}")
    return str(response)


def conference_name(call_id: str) -> str:
    """The conference where a call's caller, agent and any supervisor meet (TWILIO_AGENT_LEG=conference)."""
    return f"hotline-{call_id}"


def participant_address(kind: str, target: str) -> str:
    """What the Participants API dials for an `endpoint_target` result: client:<id>, sip:..., +86..."""
    return f"client:{target}" if kind == "client" else target


def _conference_for_caller(action: Connect, config: TwilioConfig, links: Links) -> Dial:
    """The caller enters the call's conference and hears the hold music until the agent, rung
    through the Participants API, joins. The caller leaving ends it (console hang-up, transfer: a
    redirect), and so does the agent hanging up; either way Twilio then requests the Dial action."""
    dial = Dial(action=links.dial, method="POST")
    record: dict[str, str] = {}
    if links.recording:  # a conference records mixed (mono), from the moment the agent joins
        record = {"record": "record-from-start", "recording_status_callback": links.recording,
                  "recording_status_callback_event": "in-progress completed",
                  "recording_status_callback_method": "POST"}
    dial.conference(conference_name(action.call_id), beep="false", start_conference_on_enter=False,
                    end_conference_on_exit=True, wait_url=config.hold_music_url, wait_method="GET", **record)
    return dial


def _dial_agent(action: Connect, config: TwilioConfig, links: Links) -> Dial:
    """`<Dial>` the agent who accepted: `<Client>` in the browser, `<Sip>` or `<Number>` for desk phones;
    in conference mode the caller's side of the conference instead."""
    if config.conference_legs:
        return _conference_for_caller(action, config, links)
    kind, target = endpoint_target(action.endpoint, action.agent_id, config)
    record: dict[str, str] = {}
    if links.recording:  # dual-channel from the answer; the platform fetches the file when it is ready
        record = {"record": "record-from-answer-dual", "recording_status_callback": links.recording,
                  "recording_status_callback_event": "in-progress completed",
                  "recording_status_callback_method": "POST"}
    dial = Dial(action=links.dial, method="POST", timeout=DIAL_TIMEOUT_S,
                caller_id=config.caller_id if kind == "number" and config.caller_id else None, **record)
    if kind == "client":
        client = dial.client()
        client.identity(target)
        client.parameter(name="call_id", value=action.call_id)
    elif kind == "sip":
        dial.sip(target)
    else:
        dial.number(target)
    return dial


def endpoint_target(endpoint: str | None, agent_id: int | None, config: TwilioConfig) -> tuple[str, str]:
    """("client" | "sip" | "number", target) for an ACD agent endpoint.

    "client:agent-17" -> browser client; "sip:..." -> SIP URI; "tel:+86..." or "+86..." -> a number.
    Anything else (an Asterisk channel like "PJSIP/agent-17", or none) falls back to the agent's
    browser client, the only endpoint Twilio can always reach.
    """
    value = (endpoint or "").strip()
    lowered = value.lower()
    if lowered.startswith("client:"):
        return "client", value.split(":", 1)[1]
    if lowered.startswith(("sip:", "sips:")):
        return "sip", value
    if lowered.startswith("tel:"):
        return "number", value[4:]
    if value.startswith("+") and value[1:].isdigit():
        return "number", value
    if agent_id is None:
        raise ValueError(f"no Twilio endpoint for {endpoint!r} without an agent id")
    return "client", config.client_identity(agent_id)


def _render_transfer(response: VoiceResponse, action: Transfer, config: TwilioConfig, links: Links) -> None:
    trunk = (action.trunk or "").strip()
    if not trunk:
        response.say(SORRY_TEXT, voice=config.voice, language=config.say_language)
        response.hangup()
        return
    # No Dial action: the engine is done with a transferred call, so when that leg ends Twilio falls
    # through to <Hangup/>.
    dial = Dial(caller_id=config.caller_id if config.caller_id else None)
    if trunk.lower().startswith(("sip:", "sips:")):
        # Custom X- headers ride on the SIP URI; the receiving deployment claims the handoff with the
        # token (Twilio hands it to /twilio/voice as SipHeader_X-Hotline-Handoff, Asterisk's dialplan
        # reads it with PJSIP_HEADER).
        sep = "&" if "?" in trunk else "?"
        dial.sip(trunk + sep + urlencode({SIP_HEADER: action.token, "X-Hotline-Center": action.center_code}))
    else:  # a phone number: the 8-digit code follows as DTMF once the other side answers
        digits = f"ww{action.code}#" if action.code else None
        dial.number(trunk.removeprefix("tel:"), send_digits=digits)
    response.append(dial)
    response.hangup()


CALLBACK_GREETING = "您好，这里是12333，您预约的回电已接通，正在为您转接工作人员，请稍候。"


def callback_bridge(config: TwilioConfig, *, endpoint: str | None, agent_id: int | None, call_id: str) -> str:
    """The citizen answered a callback: greet them and bridge the agent who accepted it."""
    response = VoiceResponse()
    response.say(CALLBACK_GREETING, voice=config.voice, language=config.say_language)
    kind, target = endpoint_target(endpoint, agent_id, config)
    dial = Dial(timeout=DIAL_TIMEOUT_S, caller_id=config.caller_id if kind == "number" and config.caller_id else None)
    if kind == "client":
        client = dial.client()
        client.identity(target)
        client.parameter(name="call_id", value=call_id)
    elif kind == "sip":
        dial.sip(target)
    else:
        dial.number(target)
    response.append(dial)
    response.hangup()
    return str(response)


def await_handoff_code(config: TwilioConfig, action_url: str) -> str:
    """The first answer on a handoff number: listen, silently, for the handoff code the sending
    deployment keys in after the answer (`ww<8 digits>#`); no code within the timeout goes on too."""
    response = VoiceResponse()
    response.gather(input="dtmf", finish_on_key="#", timeout=config.handoff_digits_timeout, action=action_url,
                    method="POST", action_on_empty_result=True)
    return str(response)


def sorry(config: TwilioConfig) -> str:
    response = VoiceResponse()
    response.say(SORRY_TEXT, voice=config.voice, language=config.say_language)
    response.hangup()
    return str(response)
