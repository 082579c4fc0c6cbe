"""Each engine action renders as the TwiML Twilio needs, with the way back to this node."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from ivr.actions import Collect, Connect, Hangup, Hold, Listen, Play, Prompt, Transfer
from ivr.twilio.config import TwilioConfig
from ivr.twilio.twiml import Links, endpoint_target, render

CONFIG = TwilioConfig(account_sid="AC1", auth_token="t", public_url="https://h.example", caller_id="+861012333",
                      voice="Polly.Zhiyu", prompt_audio_url="https://cdn.example/prompts/{name}.wav")
LINKS = Links(step="https://h.example/twilio/voice/step?n=4", dial="https://h.example/twilio/voice/dial?n=4")
WELCOME = Prompt(id="welcome", text="欢迎致电12333。", audio=None)
RECORDED = Prompt(id="menu", text="请按1。", audio="menu_main")
ENGLISH = Prompt(id="en", text="For English press 9.", language="en")


def doc(action, config: TwilioConfig = CONFIG) -> ET.Element:  # type: ignore[no-untyped-def]
    root = ET.fromstring(render(action, config, LINKS).encode())
    assert root.tag == "Response"
    return root


def test_play_says_chinese_text_then_redirects_back() -> None:
    root = doc(Play(prompts=(WELCOME, ENGLISH)))
    assert [el.tag for el in root] == ["Say", "Say", "Redirect"]
    assert root[0].text == "欢迎致电12333。"
    assert root[0].get("language") == "cmn-CN" and root[0].get("voice") == "Polly.Zhiyu"
    assert root[1].get("language") == "en-US"
    assert root[2].text == LINKS.step and root[2].get("method") == "POST"


@pytest.mark.parametrize(("text", "language", "spoken"), [
    ("For English, press 9.", "zh", "en-US"),  # offered in English inside a Mandarin call
    ("普通话服务请按9。", "en", "cmn-CN"),  # and the other way round
    ("Your pension was paid.", "en", "en-US"),
    ("12333", "zh", "cmn-CN"),
    ("12333", "en", "en-US"),
])
def test_the_script_of_the_text_picks_the_voice(text: str, language: str, spoken: str) -> None:
    say = doc(Play(prompts=(Prompt(id="p", text=text, language=language),)))[0]
    assert say.get("language") == spoken
    assert say.get("voice") == ("Polly.Zhiyu" if spoken == "cmn-CN" else CONFIG.voice_en)


def test_recorded_prompt_plays_its_audio_url_and_without_one_falls_back_to_say() -> None:
    root = doc(Play(prompts=(RECORDED,)))
    assert root[0].tag == "Play" and root[0].text == "https://cdn.example/prompts/menu_main.wav"
    no_audio_base = TwilioConfig(account_sid="AC1", auth_token="t", public_url="https://h.example")
    root = doc(Play(prompts=(RECORDED,)), no_audio_base)
    assert root[0].tag == "Say" and root[0].text == "请按1。"


def test_barge_in_play_sits_in_a_one_key_gather() -> None:
    root = doc(Play(prompts=(WELCOME,), barge_in=True))
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    assert gather.get("actionOnEmptyResult") == "true" and gather[0].tag == "Say"


def test_collect_becomes_a_dtmf_gather_with_digits_terminator_and_timeout() -> None:
    root = doc(Collect(prompts=(WELCOME,), min_digits=18, max_digits=18, timeout_s=7.5, terminator="#",
                       inter_digit_timeout_s=4))
    gather = root[0]
    assert gather.tag == "Gather" and gather.get("input") == "dtmf"
    assert gather.get("numDigits") == "18" and gather.get("finishOnKey") == "#" and gather.get("timeout") == "8"
    assert gather.get("action") == LINKS.step and gather.get("method") == "POST"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather[0].text == WELCOME.text
    assert root[1].tag == "Redirect"  # safety net if Twilio ever falls through the Gather


def test_collect_without_terminator_sends_an_empty_finish_on_key() -> None:
    gather = doc(Collect(prompts=(), max_digits=4, terminator=None))[0]
    assert gather.get("finishOnKey") == ""


def test_listen_is_a_mandarin_speech_gather_that_also_takes_keys() -> None:
    gather = doc(Listen(prompts=(WELCOME,), timeout_s=6))[0]
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == "zh-CN" and gather.get("speechTimeout") == "auto"
    assert gather.get("timeout") == "6"


def test_hold_says_the_announcement_plays_music_and_loops() -> None:
    root = doc(Hold(prompts=(Prompt(id="pos", text="您前面还有2位。"),), music=True, max_seconds=30))
    assert [el.tag for el in root] == ["Say", "Play", "Redirect"]
    assert root[1].text == CONFIG.hold_music_url
    silent = doc(Hold(prompts=(), music=False, max_seconds=12.2))
    assert [el.tag for el in silent] == ["Pause", "Redirect"] and silent[0].get("length") == "13"


def test_hold_with_keys_lets_the_caller_press_one_for_a_callback() -> None:
    root = doc(Hold(prompts=(WELCOME,), keys="1"))
    gather = root.find("Gather")
    assert gather is not None and [el.tag for el in gather] == ["Say", "Play"]
    assert root[-1].tag == "Redirect"


def test_connect_dials_the_agent_browser_client_with_the_call_id() -> None:
    root = doc(Connect(agent_id=3, endpoint="client:agent-3", call_id="CA123"))
    dial = root.find("Dial")
    assert dial is not None and dial.get("action") == LINKS.dial and dial.get("callerId") is None
    client = dial.find("Client")
    assert client is not None and client.findtext("Identity") == "agent-3"
    param = client.find("Parameter")
    assert param is not None and (param.get("name"), param.get("value")) == ("call_id", "CA123")


@pytest.mark.parametrize(("endpoint", "noun", "target"), [
    ("sip:agent17@pbx.example.cn", "Sip", "sip:agent17@pbx.example.cn"),
    ("tel:+8602012345678", "Number", "+8602012345678"),
    ("+8613912345678", "Number", "+8613912345678"),
    ("PJSIP/agent-17", "Client", "agent-17"),
    (None, "Client", "agent-17"),
])
def test_desk_phone_endpoints(endpoint: str | None, noun: str, target: str) -> None:
    dial = doc(Connect(agent_id=17, endpoint=endpoint, call_id="CA1")).find("Dial")
    assert dial is not None and dial[0].tag == noun
    assert (dial[0].findtext("Identity") if noun == "Client" else dial[0].text) == target
    assert dial.get("callerId") == ("+861012333" if noun == "Number" else None)


def test_endpoint_without_agent_is_an_error() -> None:
    with pytest.raises(ValueError):
        endpoint_target("PJSIP/x", None, CONFIG)


def test_transfer_over_sip_carries_the_token_in_headers() -> None:
    root = doc(Transfer(center_code="44", trunk="sip:12333@gd.example.cn", token="tok/en+1"))
    sip = root.find("Dial/Sip")
    assert sip is not None and sip.text is not None
    query = parse_qs(urlsplit(sip.text).query)
    assert query == {"X-Hotline-Handoff": ["tok/en+1"], "X-Hotline-Center": ["44"]}
    assert root[-1].tag == "Hangup"
    number = doc(Transfer(center_code="44", trunk="tel:+862012333", token="t", code="12345678")).find("Dial/Number")
    assert number is not None and number.text == "+862012333"
    assert number.get("sendDigits") == "ww12345678#"  # the handoff code as DTMF once answered


def test_transfer_without_trunk_apologises_and_hangs_up() -> None:
    root = doc(Transfer(center_code="44", trunk=None, token="t"))
    assert [el.tag for el in root] == ["Say", "Hangup"]


def test_hangup_says_goodbye_and_hangs_up() -> None:
    root = doc(Hangup(reason="done", prompts=(Prompt(id="bye", text="再见。"),)))
    assert [el.tag for el in root] == ["Say", "Hangup"] and root[0].text == "再见。"
