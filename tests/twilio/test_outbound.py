"""The TwiML App's voice URL: a browser agent calls a citizen back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ivr.twilio.signature import HEADER, sign
from tests.support.emulators.twilio import new_sid, voice_params
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

PATH = "/twilio/voice/outbound"


def outbound(client, caller: str, to: str) -> ET.Element:  # type: ignore[no-untyped-def]
    params = voice_params(new_sid("CA"), ACCOUNT_SID, from_=caller, to=to, status="ringing", direction="inbound")
    params["Caller"] = caller
    response = client.post(PATH, data=params, headers={HEADER: sign(AUTH_TOKEN, PUBLIC_URL + PATH, params)})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def test_agent_dials_a_chinese_number_with_the_center_caller_id(client) -> None:  # type: ignore[no-untyped-def]
    root = outbound(client, "client:agent-12", "13812345678")
    dial = root.find("Dial")
    assert dial is not None and dial.get("callerId") == "+861012333"
    assert dial.findtext("Number") == "+8613812345678"


def test_outbound_refused_for_non_agents_and_bad_numbers(client, caplog) -> None:  # type: ignore[no-untyped-def]
    for caller, to in (("+8613912345678", "13812345678"), ("client:someone", "13812345678"),
                       ("client:agent-12", "12345"), ("client:agent-12", "")):
        root = outbound(client, caller, to)
        assert [el.tag for el in root] == ["Say", "Hangup"]
    lines = [r.getMessage() for r in caplog.records if "outbound call refused" in r.getMessage()]
    assert len(lines) == 4 and all("13812345678" not in line for line in lines)
