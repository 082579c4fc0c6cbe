"""`platform.smschat`, the SMS conversation channel: keyword commands, the CX record query with an SMS
code, opt-out, callbacks and free-text questions answered from the knowledge base. Each received
message is logged by the gateway (`platform.sms.log_inbound`, masked) with received_at; the gateway
sets replied_at when the reply leaves (GB/T 33358: within 3 minutes).

SMS sessions (the CX steps, the last knowledge answer for "1") are JSON in platform.store, under a
keyed hash of the sender. Between `CX <ID>` and the code reply the session holds only the records
session id: the ID waits sealed with the pending code in records, never in clear in the store.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from core import phone
from core.masking import keyed_hash, mask_phone, scrub
from sms import encoding
from sms.api import SmsApi
from sms.service import normalize_sender
from smschat.api import Command, InboundResult, SmsChatHost
from smschat.config import ChatConfig
from smschat.events import SmsCallbackRequested
from smschat.models import Keyword
from switch.api import CallToPlace

log = logging.getLogger(__name__)

KEYWORDS_FILE = Path(__file__).with_name("keywords.yaml")
ACTIONS = ("query_record", "password_help", "opt_out", "opt_in", "callback", "more", "help")
ID_RE = re.compile(r"^\d{17}[\dXx]$")
CODE_RE = re.compile(r"^\d{4,8}$")

MORE_HINT = "回复1获取详细说明"
NO_ANSWER = "抱歉，暂未找到与您问题相关的答案。回复RG申请人工回电，或拨打12333咨询。"
KB_UNAVAILABLE = "智能问答暂不可用。回复RG申请人工回电，或拨打12333咨询。"
OPTED_OUT = "您已退订12333通知短信。验证码和对您咨询的答复仍会发送。回复DY可恢复接收。"
OPTED_IN = "您已恢复接收12333通知短信。回复TD退订。"
CALLBACK_OK = "已为您登记人工回电，工作人员将在工作时间内与您联系，请保持电话畅通。"
CALLBACK_FAILED = "回电登记暂不可用，请拨打12333咨询。"
CX_ASK_ID = "请回复：CX 身份证号码（18位）。验证码将发送到您登记的手机。"
CX_ASK_CODE = "请回复收到的短信验证码。"
CX_UNAVAILABLE = "查询服务暂不可用，请稍后再试或拨打12333。"
# to a number that is not the registered mobile: says nothing about the person or the ID
CX_NEUTRAL = "如身份证号码有效，验证码已发送至登记的手机。查询结果只发送至登记的手机。"
CX_NEUTRAL_DONE = "如验证码正确，查询结果已发送至登记的手机。"
NOTHING_MORE = "没有可发送的详细说明。请直接回复您的问题。"


def default_commands() -> list[Command]:
    raw = yaml.safe_load(KEYWORDS_FILE.read_text(encoding="utf-8")) or []
    commands = []
    for item in raw:
        cmd = Command(str(item["keyword"]).upper(), str(item["action"]), item.get("reply"), item.get("description", ""))
        if cmd.action not in ACTIONS:
            raise ValueError(f"keywords.yaml: unknown action {cmd.action!r} for {cmd.keyword}")
        commands.append(cmd)
    return commands


def chunk_text(text: str, max_parts: int, signature: str, header_room: int = 8) -> list[str]:
    """Split a long text into messages of at most `max_parts` parts each, at sentence ends when
    possible; each piece is numbered "(1/3)" when there is more than one."""
    limit = 67 * max_parts - len(signature) - header_room
    sentences = re.split(r"(?<=[。！？；\n])", text)
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        while encoding.length_units(sentence, encoding.UCS2) > limit:  # one very long sentence
            cut = sentence[:limit]
            if cut and ord(cut[-1]) > 0xFFFF:
                cut = cut[:-1]
            if current:
                pieces.append(current)
                current = ""
            pieces.append(cut)
            sentence = sentence[len(cut):]
        if encoding.length_units(current + sentence, encoding.UCS2) > limit:
            pieces.append(current)
            current = sentence
        else:
            current += sentence
    if current.strip():
        pieces.append(current)
    pieces = [p for p in (p.strip() for p in pieces) if p]
    if len(pieces) > 1:
        pieces = [f"({i}/{len(pieces)}){p}" for i, p in enumerate(pieces, start=1)]
    return pieces


class SmsChatService:
    def __init__(self, platform: SmsChatHost, config: ChatConfig) -> None:
        self.platform = platform
        self.config = config
        self.db, self.clock, self.store = platform.db, platform.clock, platform.store

    @property
    def sms(self) -> SmsApi:
        """The gateway: logs what arrived, sends the replies, keeps the opt-out list."""
        return self.platform.sms

    # -- configuration ----------------------------------------------------------------------------

    def commands(self) -> dict[str, Command]:
        with self.db.session() as s:
            rows = s.execute(select(Keyword)).scalars().all()
            table = {r.keyword.upper(): Command(r.keyword.upper(), r.action, r.reply, r.description)
                     for r in rows if r.enabled}
        if not rows:
            table = {c.keyword: c for c in default_commands()}
        return table

    def match(self, text: str) -> tuple[Command | None, str]:
        table = self.commands()
        stripped = text.strip()
        upper = stripped.upper()
        if upper in table:
            return table[upper], ""
        head = upper.partition(" ")[0]
        if head in table and table[head].action == "query_record":
            return table[head], stripped[len(head):].strip()
        if upper[:2] in table and table[upper[:2]].action == "query_record" and ID_RE.match(upper[2:].strip()):
            return table[upper[:2]], upper[2:].strip()  # "CX110105..." without a space
        return None, stripped

    # -- sessions ----------------------------------------------------------------------------------

    def _sender_hash(self, sender: str) -> str:
        """Stands for the sender in store keys and record session ids (which reach the audit log)."""
        return keyed_hash(self.platform.settings.secret_key, "sms-session", sender)

    def _session_key(self, sender: str) -> str:
        return f"sms:session:{self._sender_hash(sender)}"

    def session(self, sender: str) -> dict[str, Any]:
        raw = self.store.get(self._session_key(sender))
        return json.loads(raw) if raw else {}

    def save_session(self, sender: str, data: dict[str, Any]) -> None:
        self.store.set(self._session_key(sender), json.dumps(data, ensure_ascii=False),
                       ttl=self.config.session_ttl)

    def end_session(self, sender: str) -> None:
        self.store.delete(self._session_key(sender))

    # -- the pipeline ------------------------------------------------------------------------------

    def handle_inbound(self, from_number: str, text: str, *, provider: str,
                       received_at: datetime | None = None) -> str | None:
        """Answer one received SMS: the reply is queued in the outbox and its text returned."""
        return self.handle(from_number, text, provider=provider, received_at=received_at).reply

    def handle(self, from_number: str, text: str, *, provider: str,
               received_at: datetime | None = None) -> InboundResult:
        sender = normalize_sender(from_number)
        text = (text or "").strip()
        session = self.session(sender)
        command, arg = self.match(text)
        masked_text = scrub(text)
        if command is None and session.get("step") == "await_code" and CODE_RE.match(text):
            action, masked_text = "record_code", "******"
        elif command is None and session.get("step") == "await_id" and ID_RE.match(text.upper()):
            action, arg = "query_record", text
        else:
            action = command.action if command else "question"
        inbound_id = self.sms.log_inbound(sender, masked_text, provider=provider, action=action,
                                          received_at=received_at)
        try:
            messages, template = self._dispatch(action, sender, arg, command, session, inbound_id)
        except Exception:
            log.exception("inbound sms %s from %s failed", inbound_id, mask_phone(sender))
            messages, template = [CX_UNAVAILABLE if action.startswith("query") else KB_UNAVAILABLE], None
        outbox_ids = self._reply(sender, inbound_id, messages, template, provider)
        return InboundResult("\n".join(m if isinstance(m, str) else m["answer"] for m in messages) or None,
                             action, inbound_id, outbox_ids)

    def _reply(self, sender: str, inbound_id: int, messages: list[Any], template: str | None,
               provider: str) -> list[int]:
        ids: list[int] = []
        for i, message in enumerate(messages):
            key = f"reply:{inbound_id}:{i}"
            try:
                if isinstance(message, dict):
                    ids.append(self.sms.send(sender, template or "kb_answer", message, category="reply",
                                             idempotency_key=key, provider=provider))
                else:
                    ids.append(self.sms.send_text(sender, message, category="reply", idempotency_key=key,
                                                  provider=provider))
            except ValueError as exc:  # an unparseable sender cannot be answered by SMS
                log.warning("no SMS reply to %s: %s", mask_phone(sender), exc)
        if ids:
            self.sms.link_reply(inbound_id, ids[0])
        return ids

    def _dispatch(self, action: str, sender: str, arg: str, command: Command | None, session: dict[str, Any],
                  inbound_id: int) -> tuple[list[Any], str | None]:
        if action == "opt_out":
            self.sms.opt_out(sender, command.keyword if command else "TD")
            return [OPTED_OUT], None
        if action == "opt_in":
            self.sms.opt_in(sender)
            return [OPTED_IN], None
        if action in ("password_help", "help") and command is not None:
            return [command.reply or self._help()], None
        if action == "callback":
            return [self._callback(sender, inbound_id)], None
        if action == "query_record":
            return [self._query_record(sender, arg)], None
        if action == "record_code":
            reply = self._record_code(sender, arg, session)
            return ([reply] if reply else []), None
        if action == "more":
            return self._more(sender, session), None
        return self._question(sender, arg, session)

    def _help(self) -> str:
        names = {c.keyword: c for c in self.commands().values()}
        return "12333短信指令：" + "；".join(f"{k} {c.description}" for k, c in sorted(names.items())
                                             if c.action != "more")

    def _callback(self, sender: str, inbound_id: int) -> str:
        """Book a callback: route the sender's number like a call and let the switch place it as a
        callback (`SwitchApi.place` with the callback number: a virtual call queued and turned into a
        callback). Without the ACD the request stays in
        the inbound log (action `callback`) and the store's `sms:callbacks` list."""
        call_id = f"sms-{inbound_id}"
        try:
            switch = self.platform.switch
            decision = switch.route(caller=sender, topic=None)
            switch.place(CallToPlace(call_id=call_id, caller=sender, callback_number=sender,
                                     context={"channel": "sms", "ivr_path": ["sms:RG"], "verified": False}),
                         decision)
        except Exception as exc:  # noqa: BLE001 - the request must not be lost: keep it ourselves
            log.info("ACD callback unavailable (%r); keeping the request in the SMS list", exc)
            try:
                self.store.zadd("sms:callbacks", {sender: self.clock.time()})
            except Exception:  # noqa: BLE001
                return CALLBACK_FAILED
        self.platform.bus.emit(SmsCallbackRequested(sender=mask_phone(sender), inbound_id=inbound_id))
        return CALLBACK_OK

    def _query_record(self, sender: str, id_number: str) -> str:
        id_number = id_number.strip().upper()
        if not id_number:
            self.save_session(sender, {"step": "await_id"})
            return CX_ASK_ID
        session_id = f"sms-{self._sender_hash(sender)}-{int(self.clock.time())}"
        try:
            outcome = self.platform.records.send_otp(session_id, id_number, channel="sms", caller=sender)
        except Exception:
            log.exception("records.send_otp failed")
            return CX_UNAVAILABLE
        own = outcome.caller_is_registered
        if outcome.status == "otp_sent":
            self.save_session(sender, {"step": "await_code", "record_session": session_id, "own": own})
            return (outcome.speech or CX_ASK_CODE) if own else CX_NEUTRAL
        self.end_session(sender)
        if own or outcome.status in ("invalid_id", "unavailable"):
            return outcome.speech
        return CX_NEUTRAL  # a stranger learns nothing: not whether the ID exists, nor a lockout

    def _record_code(self, sender: str, code: str, session: dict[str, Any]) -> str | None:
        """Check the code; the summary goes only to the registered mobile (sms_summary), whoever
        asked. The registered mobile gets nothing else; another number a neutral line."""
        records = self.platform.records
        session_id = session["record_session"]
        own = bool(session.get("own"))
        try:
            check = records.verify_otp(session_id, None, code, channel="sms")
            if check.status != "ok":
                if check.status != "wrong" or not check.attempts_left:
                    self.end_session(sender)
                    records.end_session(session_id)
                return check.speech if own else (CX_NEUTRAL_DONE if check.status == "wrong" else CX_UNAVAILABLE)
            sent = records.sms_summary(session_id, channel="sms")
            if own:
                return None if sent.status == "ok" else sent.speech
            return CX_NEUTRAL_DONE
        except Exception:
            log.exception("records verify/summary failed")
            return CX_UNAVAILABLE
        finally:
            if session.get("step") == "await_code" and records.is_verified(session_id):
                records.end_session(session_id)
                self.end_session(sender)

    def _feedback(self, session: dict[str, Any], *, helpful: bool) -> None:
        """What the citizen did after an answer, for the editors' review queue (knowledge/feedback.py):
        asking for the details ("1") counts the answer as helpful; asking again as not helpful. The
        question is the one that was answered, scrubbed of personal numbers."""
        if not session.get("article") or session.get("rated"):
            return
        try:
            self.platform.knowledge.feedback(session["article"], helpful=helpful, query=session.get("query", ""),
                                             source="citizen", channel="sms")
        except Exception:  # feedback must never cost the citizen the reply
            log.exception("knowledge feedback failed")

    def _question(self, sender: str, text: str, session: dict[str, Any]) -> tuple[list[Any], str | None]:
        if not text:
            return [self._help()], None
        if session.get("step") == "answered":  # a follow-up question: the last answer did not settle it
            self._feedback(session, helpful=False)
        try:
            result = self.platform.knowledge.search(text, province=phone.province_of(sender), limit=1,
                                                    channel="sms")
        except Exception:
            log.exception("knowledge search failed")
            return [KB_UNAVAILABLE], None
        if result.no_answer or not result.hits:
            return [NO_ANSWER], None
        hit = result.hits[0]
        self.save_session(sender, {**session, "step": "answered", "article": hit.article_id, "title": hit.title,
                                   "query": scrub(text)[:200], "rated": False})
        return [{"title": hit.title, "answer": f"{hit.short_answer}{MORE_HINT}"}], "kb_answer"

    def _more(self, sender: str, session: dict[str, Any]) -> list[Any]:
        article_id = session.get("article")
        if not article_id:
            return [NOTHING_MORE]
        self._feedback(session, helpful=True)
        self.save_session(sender, {**session, "rated": True})
        try:
            view = self.platform.knowledge.article(article_id)
        except Exception:
            log.exception("knowledge article failed")
            return [KB_UNAVAILABLE]
        if view is None:
            return [NOTHING_MORE]
        body = article_text(view)
        title = view.title
        text = f"{title}：{body}" if title else body
        return chunk_text(text, self.config.max_parts_per_message, self.sms.config.signature)


def article_text(view: Any) -> str:
    """The plain detailed answer of a knowledge ArticleView (`body_html` made into SMS text; the
    short answer when the article has no body)."""
    return html_to_text(view.body_html or "") or html_to_text(view.short_answer or "")


def html_to_text(value: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</(p|li|div|h\d|tr)>", "\n", value)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
