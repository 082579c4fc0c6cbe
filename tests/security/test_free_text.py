"""Item 19 (free text): ticket descriptions and comments are scrubbed of personal numbers; SMS
record-session ids in the audit name the sender only by a keyed hash; store keys hash ID numbers."""

from __future__ import annotations

from sqlalchemy import select

from hotline.platform import Platform
from tickets.models import Ticket, TicketEvent

ID, MOBILE = "440305199205182022", "13612345678"


def test_ticket_text_is_scrubbed(platform: Platform) -> None:
    agent = platform.accounts.create_user("ft-agent", "pw", ["agent"], province_scope="44")
    ticket = platform.tickets.open_ticket(agent, caller=MOBILE, topic="养老金未到账",
                                          description=f"来电人身份证{ID}，手机{MOBILE}，卡号6222021234567890123",
                                          id_number=ID, call_id="c-1")
    platform.tickets.comment(agent, ticket.id, f"已回电{MOBILE}，核对身份证{ID}")
    with platform.db.session() as s:
        stored = [t.description for t in s.execute(select(Ticket)).scalars()]
        stored += [e.text for e in s.execute(select(TicketEvent)).scalars()]
    text = " ".join(stored)
    assert ID not in text and MOBILE not in text and "6222021234567890123" not in text
    assert "440305********2022" in text and "136****5678" in text


def test_records_store_keys_hold_no_id_number(platform: Platform) -> None:
    from records.state import Limits, VerificationState

    state = VerificationState(platform.store, Limits(), "k")
    state.fail(ID)
    state.may_send_otp(ID, "+8613800138000", own=False)
    keys = platform.store.keys("records:*")
    assert keys and not any(ID in k or "13800138000" in k for k in keys)


def test_records_store_values_hold_no_id_number(platform: Platform) -> None:
    from records.state import Limits, VerificationState

    state = VerificationState(platform.store, Limits(), "k")
    state.mark_verified("call-9", ID, "password", "44", 0.0)
    state.new_otp("sms-9", ID, "44", requester="+8613800138000", own=False)
    values = " ".join(str(platform.store.hgetall(k)) for k in platform.store.keys("records:*"))
    assert ID not in values and "13800138000" not in values
    assert state.session("call-9")["id_number"] == ID
    assert state.pending_otp("sms-9")["requester"] == "+8613800138000"
    tampered = platform.store.hgetall("records:session:call-9")["id_sealed"][:-4] + "AAAA"
    assert state.unseal(tampered) == ""
