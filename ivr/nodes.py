"""One handler per node type: `enter(ctx)` when the call arrives at the node, `resume(ctx, result)`
with the channel's answer to the action the node returned. Each returns an `Action` (wait for the
channel) or a `Goto` (move on at once)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from core import provinces
from core.masking import mask_id, mask_phone, scrub
from core.phone import is_mobile
from ivr import flowmodel as fm
from ivr.actions import (
    Action,
    AgentLegEnded,
    Connect,
    Digits,
    Hangup,
    Hold,
    Listen,
    Played,
    Result,
    Speech,
    Timeout,
    Transfer,
)
from ivr.conditions import Facts, evaluate
from ivr.context import Ctx, Goto, Step
from ivr.events import CallKbAnswer, CallMenu
from ivr.validators import VALIDATORS
from switch.api import CallToPlace, Placement
from switch.routing import RoutingDecision

if TYPE_CHECKING:
    from records.outcomes import RecordOutcome, Verification

log = logging.getLogger(__name__)
V = TypeVar("V")

#: AgentLegEnded reasons meaning the caller never spoke to the agent (the agent leg was not answered)
AGENT_NEVER_ANSWERED = frozenset({"agent_no_answer", "agent_busy", "agent_unavailable", "agent_failed",
                                  "no_endpoint"})


def _or(value: V | None, default: V) -> V:
    """A field the flow left out takes the engine's default (a present value is kept, even a falsy one)."""
    return default if value is None else value


class Handler:
    def enter(self, ctx: Ctx) -> Step:
        raise NotImplementedError

    def resume(self, ctx: Ctx, result: Result) -> Step:
        return self.enter(ctx)


# ----------------------------------------------------------------------------- simple nodes


class PlayNode(Handler):
    def enter(self, ctx: Ctx) -> Step:
        spec = ctx.spec(fm.PlayNode)
        ctx.say_prompts(ctx.prompts(spec.prompts))
        return Goto(spec.next)


class SetNode(Handler):
    def enter(self, ctx: Ctx) -> Step:
        spec = ctx.spec(fm.SetNode)
        for key, value in spec.vars.items():
            ctx.vars[str(key)] = ctx.fill(value) if isinstance(value, str) else value
        return Goto(spec.next)


class BranchNode(Handler):
    def enter(self, ctx: Ctx) -> Step:
        facts = Facts(local_now=ctx.engine.local_now(), variables=ctx.vars,
                      hours=lambda: ctx.engine.hours_state(ctx), ewt=lambda: ctx.engine.queue_ewt(ctx))
        spec = ctx.spec(fm.BranchNode)
        for i, case in enumerate(spec.cases):
            if evaluate(case.when, facts):
                ctx.event("branch", node=ctx.node.id, case=i, goto=case.goto)
                return Goto(case.goto)
        ctx.event("branch", node=ctx.node.id, case=None, goto=spec.default)
        return Goto(spec.default)


class HangupNode(Handler):
    def enter(self, ctx: Ctx) -> Step:
        spec = ctx.spec(fm.HangupNode)
        return Hangup(reason=spec.reason or "completed", prompts=tuple(ctx.prompts(spec.prompts)))


# ----------------------------------------------------------------------------- input nodes


class MenuNode(Handler):
    def ask(self, ctx: Ctx) -> Action:
        spec = ctx.spec(fm.MenuNode)
        prompts = ctx.prompts(spec.prompts)
        if spec.listen and ctx.vars.get("speech"):
            return Listen(prompts=tuple(prompts), timeout_s=float(spec.timeout_s or 6))
        return ctx.collect(prompts)

    def enter(self, ctx: Ctx) -> Step:
        return self.ask(ctx)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        spec = ctx.spec(fm.MenuNode)
        options = {str(k): v for k, v in spec.options.items()}
        if isinstance(result, Digits) and result.value:
            key = result.value[0]
            ctx.record_input(key, kind="key")
            if key in options:
                ctx.engine.emit(CallMenu(call_id=ctx.call_id, node=ctx.node.id, key=key, target=options[key]))
                return Goto(options[key])
            return ctx.retry("invalid", self.ask(ctx), prompt=spec.invalid_prompt)
        if isinstance(result, Speech):
            target = classify(ctx, result, spec.intents or {}, spec.threshold)
            if target:
                return Goto(target)
            return ctx.retry("no_match", self.ask(ctx), prompt=spec.no_match_prompt or "speech_no_match")
        if spec.on_timeout:
            return Goto(spec.on_timeout)
        return ctx.retry("timeout", self.ask(ctx), prompt=spec.timeout_prompt)


def spoken_text(ctx: Ctx, text: str) -> str:
    """What the call state keeps of an utterance: scrubbed of personal numbers. When the caller
    spoke one, the verbatim text waits in the call's secret store (gone with the call) instead."""
    shown = scrub(text)
    if shown != text:
        ctx.put_secret("utterance", text)
    return shown


def classify(ctx: Ctx, result: Speech, intents: dict[Any, str], threshold: float | None) -> str | None:
    """The target for an utterance, or None when the classifier is not confident enough."""
    prediction = ctx.engine.classifier().predict(result.text, threshold)
    confidence = round(prediction.confidence * min(1.0, max(result.confidence, 0.0)), 3)
    intent = prediction.intent if prediction.intent and confidence >= (threshold or 0) else None
    ctx.record_input(result.text, kind="speech")
    ctx.event("intent", node=ctx.node.id, intent=intent, best=prediction.best, confidence=confidence)
    ctx.vars["utterance"] = spoken_text(ctx, result.text)
    if intent is None or intent not in intents:
        return None
    ctx.vars["intent"] = intent
    return intents[intent]


class ListenNode(Handler):
    def ask(self, ctx: Ctx) -> Action:
        spec = ctx.spec(fm.ListenNode)
        return Listen(prompts=tuple(ctx.prompts(spec.prompts)), timeout_s=float(spec.timeout_s or 6))

    def enter(self, ctx: Ctx) -> Step:
        return self.ask(ctx)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        spec = ctx.spec(fm.ListenNode)
        intents = spec.intents
        if isinstance(result, Speech):
            target = classify(ctx, result, intents, spec.threshold)
            if spec.var:
                ctx.vars[spec.var] = spoken_text(ctx, result.text)
            if target:
                return Goto(target)
            return ctx.retry("no_match", self.ask(ctx), prompt=spec.no_match_prompt or "speech_no_match")
        if isinstance(result, Digits) and result.value:
            ctx.record_input(result.value[0], kind="key")
            if result.value[0] in intents:
                return Goto(intents[result.value[0]])
            return ctx.retry("invalid", self.ask(ctx))
        return ctx.retry("timeout", self.ask(ctx), prompt=spec.timeout_prompt)


class CollectNode(Handler):
    def ask(self, ctx: Ctx) -> Action:
        spec = ctx.spec(fm.CollectNode)
        return ctx.collect(ctx.prompts(spec.prompts), min_digits=_or(spec.min_digits, 1),
                           max_digits=_or(spec.max_digits, 1), terminator=_or(spec.terminator, "#"),
                           timeout_s=spec.timeout_s)

    def enter(self, ctx: Ctx) -> Step:
        return self.ask(ctx)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        spec = ctx.spec(fm.CollectNode)
        if not isinstance(result, Digits) or not result.value:
            return ctx.retry("timeout", self.ask(ctx), prompt=spec.timeout_prompt)
        raw = result.value.rstrip(spec.terminator or "#")
        validator = spec.validator
        sensitive = bool(spec.sensitive) or validator == "password6"
        ctx.record_input(raw, var=spec.var, validator=validator, sensitive=sensitive)
        if len(raw) < _or(spec.min_digits, 1) or len(raw) > _or(spec.max_digits, 1):
            return ctx.retry("invalid", self.ask(ctx), prompt=spec.invalid_prompt)
        value: str | None = raw
        if validator:
            value, reason = VALIDATORS[validator](raw)
            if value is None:
                ctx.event("invalid", node=ctx.node.id, validator=validator, reason=reason)
                return ctx.retry("invalid", self.ask(ctx), prompt=reason)
        assert value is not None
        if sensitive:
            ctx.put_secret(spec.var, value)
        else:
            ctx.vars[spec.var] = value
            if validator == "citizen_id":
                ctx.engine.note_id(ctx, value)
            if validator == "province":
                ctx.vars["province"], ctx.vars["province_confirmed"] = value, True
        return Goto(spec.next)


class ConfirmNode(Handler):
    def ask(self, ctx: Ctx) -> Action:
        return ctx.collect([*ctx.prompts(ctx.spec(fm.ConfirmNode).prompts), ctx.prompt("confirm_keys")])

    def enter(self, ctx: Ctx) -> Step:
        return self.ask(ctx)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        spec = ctx.spec(fm.ConfirmNode)
        if isinstance(result, Digits) and result.value:
            key = result.value[0]
            ctx.record_input(key, kind="key")
            if key == "1":
                return Goto(spec.confirmed)
            if key == "2":
                return Goto(spec.retry)
            return ctx.retry("invalid", self.ask(ctx), prompt=spec.invalid_prompt)
        return ctx.retry("timeout", self.ask(ctx), prompt=spec.timeout_prompt)


class SurveyNode(Handler):
    DEFAULT_SCALE: ClassVar[dict[str, str]] = {"1": "very_satisfied", "2": "satisfied", "3": "neutral",
                                               "4": "dissatisfied"}

    def ask(self, ctx: Ctx) -> Action:
        return ctx.collect(ctx.prompts(ctx.spec(fm.SurveyNode).prompts))

    def enter(self, ctx: Ctx) -> Step:
        return self.ask(ctx)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        spec = ctx.spec(fm.SurveyNode)
        scale = {str(k): str(v) for k, v in (spec.scale or self.DEFAULT_SCALE).items()}
        question = spec.question or "satisfaction"
        if isinstance(result, Digits) and result.value and result.value[0] in scale:
            key = result.value[0]
            ctx.record_input(key, kind="key")
            ctx.engine.save_survey(ctx, question=question, score=int(key), label=scale[key])
            ctx.event("survey", question=question, score=int(key), label=scale[key])
            ctx.say("survey_thanks")
            return Goto(spec.next)
        if isinstance(result, Digits):
            ctx.record_input(result.value[:1], kind="key")
            return ctx.retry("invalid", self.ask(ctx), prompt=spec.invalid_prompt)
        if int(ctx.state.get("retries", 0)) >= 1:
            ctx.event("survey", question=question, score=None, label="no_answer")
            return Goto(spec.next)
        return ctx.retry("timeout", self.ask(ctx))


# ----------------------------------------------------------------------------- province


class ProvinceNode(Handler):
    """Confirm the province of insurance: keep the one detected from the number (1, or no key) or
    key in another as an area code (020) or a GB/T 2260 code (44)."""

    def ask_key(self, ctx: Ctx) -> Action:
        ctx.step = "key"
        return ctx.collect([ctx.prompt("province_key")], min_digits=2, max_digits=4, terminator="#")

    def ask_confirm(self, ctx: Ctx) -> Action:
        ctx.step = "confirm"
        return ctx.collect([*ctx.prompts(ctx.spec(fm.ProvinceNode).prompts), ctx.prompt("province_confirm")])

    def enter(self, ctx: Ctx) -> Step:
        if ctx.vars.get("province_confirmed"):
            return Goto(ctx.spec(fm.ProvinceNode).next)
        detected = ctx.vars.get("province") or ctx.engine.detected_province(ctx)
        if detected:
            ctx.vars["province"] = detected
            return self.ask_confirm(ctx)
        return self.ask_key(ctx)

    def confirmed(self, ctx: Ctx, how: str) -> Step:
        ctx.vars["province_confirmed"] = True
        # only a province the caller keyed in is their choice; keeping the guess (1, or silence) is not
        ctx.vars["province_chosen"] = how == "keyed"
        ctx.event("province", province=ctx.vars.get("province"), how=how)
        return Goto(ctx.spec(fm.ProvinceNode).next)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        if ctx.step == "confirm":
            if isinstance(result, Timeout):
                return self.confirmed(ctx, "kept")
            if isinstance(result, Digits) and result.value:
                ctx.record_input(result.value[0], kind="key")
                if result.value[0] == "1":
                    return self.confirmed(ctx, "confirmed")
                if result.value[0] == "2":
                    ctx.state["retries"] = 0
                    return self.ask_key(ctx)
            return ctx.retry("invalid", self.ask_confirm(ctx))
        # step "key"
        if not isinstance(result, Digits) or not result.value:
            return ctx.retry("timeout", self.ask_key(ctx))
        raw = result.value.rstrip("#")
        ctx.record_input(raw, validator="province")
        code, reason = VALIDATORS["province"](raw)
        if code is None:
            return ctx.retry("invalid", self.ask_key(ctx), prompt=reason)
        ctx.vars["province"] = code
        ctx.say("province_set", province=code)
        return self.confirmed(ctx, "keyed")


# ----------------------------------------------------------------------------- self-service


class KnowledgeNode(Handler):
    """Search the knowledge base, read the short answer, then offer SMS (mobiles), repeat, agent, back."""

    def offer(self, ctx: Ctx) -> Action:
        spec = ctx.spec(fm.KnowledgeNode)
        ctx.step = "offer"
        mobile = is_mobile(ctx.caller or "")
        return ctx.collect([ctx.prompt("kb_offer_sms" if mobile else "kb_offer",
                                       agent="0" if spec.agent else "", back="9" if spec.back else "")])

    def read(self, ctx: Ctx) -> None:
        kb = ctx.vars["kb"]
        ctx.say("kb_answer_intro", title=kb["title"])
        ctx.say_text(f"kb:{kb['article_id']}", kb["answer"], "zh")

    def enter(self, ctx: Ctx) -> Step:
        """A menu item (`article:`) reads the article it names; a spoken question (`query:`) is searched
        within the recognised topic first. The caller's province variant wins over the national article,
        and active notices for the province and topic are read before the answer."""
        spec = ctx.spec(fm.KnowledgeNode)
        query = scrub(ctx.fill(spec.query).strip())
        article = ctx.fill(spec.article or "").strip() or None
        topic: str | None = ctx.fill(spec.topic).strip() if spec.topic else str(ctx.vars.get("topic") or "")
        topic = None if topic in ("", "general") else topic
        # The routing province: the one the caller confirmed, else the one the number belongs to.
        province = ctx.vars.get("province") or ctx.vars.get("detected_province")
        found = None
        try:
            kb = ctx.homes.knowledge
            if article:
                found = kb.answer(article_id=article, province=province, topic=topic)
            if found is None:  # no menu article (or it was withdrawn): search for the item's words
                found = kb.answer(query=query, province=province, topic=topic)
        except Exception:
            log.exception("knowledge search failed for call %s", ctx.call_id)
        if found is None:
            ctx.event("kb_answer", node=ctx.node.id, query=query, found=False, topic=topic)
            ctx.engine.emit(CallKbAnswer(call_id=ctx.call_id, query=query, found=False, province=ctx.scope))
            ctx.say("kb_no_answer")
            return Goto(spec.no_answer)
        ctx.vars["kb"] = {"article_id": found.article_id, "revision_id": found.revision_id, "title": found.title,
                          "answer": found.short_answer, "province": found.province}
        ctx.vars["kb_answer"] = found.title
        ctx.vars["kb_query"] = "" if found.how.startswith("menu") else query
        ctx.event("kb_answer", node=ctx.node.id, query=query, found=True, article_id=found.article_id,
                  revision_id=found.revision_id, title=found.title, answer=found.short_answer,
                  province=found.province, how=found.how, topic=topic, notices=[x.id for x in found.notices])
        ctx.engine.emit(CallKbAnswer(call_id=ctx.call_id, query=query, found=True, province=ctx.scope,
                                     article_id=found.article_id, revision_id=found.revision_id))
        for notice in found.notices:
            ctx.say("kb_notice", title=notice.title)
            ctx.say_text(f"kb-notice:{notice.id}", notice.text[:120], "zh")
        self.read(ctx)
        return self.offer(ctx)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        spec = ctx.spec(fm.KnowledgeNode)
        if isinstance(result, Timeout) or not isinstance(result, Digits) or not result.value:
            return Goto(spec.next)
        key = result.value[0]
        ctx.record_input(key, kind="key")
        if key == "1" and is_mobile(ctx.caller or ""):
            self.feedback(ctx, helpful=True)  # wanted the answer kept: it helped
            kb = ctx.vars["kb"]
            send_sms(ctx, ctx.caller or "", spec.sms_template or "kb_answer",
                     {"title": kb["title"], "answer": kb["answer"]}, key=f"kb:{kb['article_id']}")
            return Goto(spec.next)
        if key == "2":
            self.read(ctx)
            return self.offer(ctx)
        if key == "0" and spec.agent:
            self.feedback(ctx, helpful=False)  # asked for a person right after the answer: it did not help
            return Goto(spec.agent)
        if key == "9" and spec.back:
            return Goto(spec.back)
        return ctx.retry("invalid", self.offer(ctx))

    def feedback(self, ctx: Ctx, *, helpful: bool) -> None:
        """The caller's implicit verdict on the answer, for the editors' review queue (knowledge feedback).
        Only a spoken question's words are kept (a menu item's words are the flow's own)."""
        kb = ctx.vars.get("kb") or {}
        if not kb.get("article_id"):
            return
        try:
            ctx.homes.knowledge.feedback(kb["article_id"], helpful=helpful, query=str(ctx.vars.get("kb_query") or ""),
                   source="citizen", channel="ivr", call_id=ctx.call_id)
        except Exception:
            log.exception("knowledge feedback failed for call %s", ctx.call_id)


def send_sms(ctx: Ctx, to: str, template: str, variables: dict[str, Any], *, key: str) -> int | None:
    """Send through platform.sms; speak the outcome. None when it could not be queued."""
    if not is_mobile(to):
        ctx.event("sms", template=template, to=mask_phone(to), status="not_mobile")
        ctx.say("sms_not_mobile")
        return None
    try:
        outbox_id = ctx.homes.sms.send(to, template, variables, category="reply",
                                       idempotency_key=f"{ctx.call_id}:{key}", session_id=ctx.call_id)
    except Exception:
        log.exception("sms send failed for call %s", ctx.call_id)
        ctx.event("sms", template=template, to=mask_phone(to), status="failed")
        ctx.say("sms_failed")
        return None
    ctx.event("sms", template=template, to=mask_phone(to), status="queued", outbox_id=outbox_id)
    ctx.say("sms_sent")
    return int(outbox_id)


class SmsNode(Handler):
    def enter(self, ctx: Ctx) -> Step:
        spec = ctx.spec(fm.SmsNode)
        to = ctx.fill(spec.to or "{caller}")
        variables = {str(k): ctx.fill(v) if isinstance(v, str) else v for k, v in (spec.variables or {}).items()}
        if send_sms(ctx, to, spec.template, variables, key=f"sms:{ctx.node.id}") is not None:
            ctx.say_prompts(ctx.prompts(spec.prompts))
        return Goto(spec.next)


class RecordsNode(Handler):
    """One step of the self-service record query through platform.records, audited there.
    Outcome statuses pick the next node (`outcomes:`); the outcome's speech is read."""

    def enter(self, ctx: Ctx) -> Step:
        spec = ctx.spec(fm.RecordsNode)
        op = spec.op
        read = spec.read is not False  # read the outcome's speech unless the flow says not to
        records = ctx.homes.records
        session, id_number = ctx.call_id, str(ctx.vars.get("id_number") or "")
        secret = ctx.pop_secret
        out: Verification | RecordOutcome
        try:
            if op == "verify_password":
                out = records.verify_password(session, id_number, secret("password"), channel="ivr",
                                              caller=ctx.caller)
            elif op == "send_otp":
                out = records.send_otp(session, id_number, channel="ivr", caller=ctx.caller)
            elif op == "verify_otp":
                out = records.verify_otp(session, id_number, secret("otp"), channel="ivr")
            elif op == "change_password":
                out = records.change_password(session, secret("old_password"), secret("new_password"),
                                              secret("new_password2"), channel="ivr")
            else:
                out = records.self_service_summary(session, channel="ivr")
        except Exception:
            log.exception("records %s failed for call %s", op, ctx.call_id)
            ctx.event("record", op=op, status="unavailable")
            ctx.say("records_unavailable")
            return Goto(spec.outcomes.get("unavailable") or spec.default)
        status = str(out.status)
        fields = dict(getattr(out, "fields", {}) or {})
        ctx.event("record", op=op, status=status, id=mask_id(id_number), fields=sorted(fields))
        ctx.vars["record_status"] = status
        if op in ("verify_password", "verify_otp") and status == "ok":
            ctx.vars["verified"] = True
            province = getattr(out, "province", None)  # a Verification carries where the person is insured
            if province:
                ctx.vars["verified_province"] = province
                if not ctx.vars.get("province_chosen"):  # a better guess than the number's location
                    ctx.vars["province"] = province
            reverify = ctx.vars.get("reverify")
            if reverify in ("required", "records"):  # a handed-over caller verified again here
                ctx.vars["reverify"] = "done"
                ctx.event("handoff", status="reverified", policy="always" if reverify == "required" else "records")
                if reverify == "required" and ctx.state.get("handoff_node") in ctx.flow.nodes:
                    if read and out.speech:
                        ctx.say_text(f"records:{op}:{status}", out.speech, "zh")
                    return Goto(ctx.state["handoff_node"])  # now queued, as the sender asked
        if read and out.speech:
            ctx.say_text(f"records:{op}:{status}", out.speech, "zh")
        return Goto(spec.outcomes.get(status) or spec.default)


# ----------------------------------------------------------------------------- agents


class RouteNode(Handler):
    """Ask the national switch where the call goes, queue it with its context, hold the caller with
    position/EWT announcements, connect when the ACD says so; then `next` (the survey)."""

    def enter(self, ctx: Ctx) -> Step:
        n, v = ctx.spec(fm.RouteNode), ctx.vars
        if v.get("handoff_pending"):  # a handed-over call that verified again (or tried): its queue
            return self.enqueue_arrival(ctx)
        topic = ctx.fill(n.topic or "{topic}") or None
        ctx.vars["topic"] = topic
        region = insured_region(ctx) if v.get("verified") else None
        try:
            decision = ctx.homes.switch.route(
                caller=ctx.caller, entry_center=str(v.get("entry_center") or "00"),
                choice=v.get("province") if v.get("province_chosen") else None,
                verified_id=v.get("id_number") if v.get("verified") else None,
                id_number=None if v.get("verified") else (v.get("id_number") or None),
                insured_province=(region or {}).get("province"), insured_city=(region or {}).get("city"),
                topic=topic, language=ctx.lang, call_id=ctx.call_id)
        except Exception:
            log.exception("routing failed for call %s", ctx.call_id)
            ctx.event("route", status="failed")
            ctx.say("route_failed")
            return Goto(n.fallback)
        info = decision.to_dict()
        ctx.state["route"] = info
        ctx.event("route", province=decision.province, center_code=decision.center_code, queue_id=decision.queue_id,
                  topic=decision.topic, is_open=decision.is_open, overflow=decision.overflow, remote=decision.remote,
                  reasons=[r["code"] for r in info.get("reasons", [])],
                  why=[r["text"] for r in info.get("reasons", [])])
        call = CallToPlace(call_id=ctx.call_id, caller=ctx.caller, language=ctx.lang,
                           context=ctx.engine.queue_context(ctx),
                           priority=n.priority,
                           skills=tuple(str(s) for s in n.skills or ()))
        try:
            placement = ctx.homes.switch.place(call, decision)
        except Exception:
            log.exception("placing call %s failed", ctx.call_id)
            placement = Placement("closed", decision.center_code, reason="failed")
        return self.placed(ctx, decision, placement)

    def placed(self, ctx: Ctx, decision: Any, placement: Placement) -> Step:
        """What the caller hears and where the flow goes, for where the switch placed the call."""
        n = ctx.spec(fm.RouteNode)
        ticket_wanted = not decision.queue_id and decision.overflow == "ticket"
        if placement.kind == "ticket":
            return self.ticket(ctx, decision, placement.ticket_id)
        if ticket_wanted:  # no number to attach it to, or opening it failed
            ctx.event("ticket", status="no_number" if placement.reason == "no_number" else "failed")
            ctx.say("route_failed")
            return Goto(n.closed if not decision.is_open else n.fallback)
        if placement.reason == "closed":
            v = ctx.vars
            v["hours_text"] = decision.hours_text or ""
            ctx.say("agents_closed", hours_text=v["hours_text"])
            return Goto(n.closed)
        if placement.announcement:  # another center takes the call: say why and where, as the switch decided
            ctx.say("route_overflow", announcement=placement.announcement)
        if placement.kind == "transferred":
            return self.transfer(ctx, placement)
        if placement.kind == "queued":
            self.queued(ctx, placement.queue_id or "", placement.status)
            ctx.step = "hold"
            return self.after_status(ctx, placement.status, announce=True)
        if placement.reason == "callback_offered" and n.callback:
            return Goto(n.callback)
        ctx.say("route_failed")
        return Goto(n.fallback)

    def enqueue_arrival(self, ctx: Ctx) -> Step:
        """Queue a call handed over by another deployment that was held back to verify the caller again
        here (or that left its queue for a record self-service): the handoff's queue, the waits at
        both deployments credited, the screen pop saying whether the caller verified here."""
        v = ctx.vars
        pending = dict(v.pop("handoff_pending"))
        waited_here = max(0.0, ctx.now() - float(v.pop("handoff_since", ctx.now())))
        verified = bool(v.get("verified"))
        v["verified_trusted"] = False  # the check here decides now
        context = {**pending["context"], "verified": verified, "reverified": verified,
                   "verified_id_masked": v.get("id_masked") if verified else None,
                   "verified_at": pending.get("center_code") if verified else None,
                   "ivr_path_here": ctx.state["path"][-30:]}
        try:
            arrival = ctx.homes.switch.enqueue_arrival(ctx.call_id, pending, caller=ctx.caller, context=context,
                                                       waited_here=waited_here)
        except Exception:
            log.exception("queueing the handed-over call %s failed", ctx.call_id)
            ctx.say("route_failed")
            return Goto(ctx.spec(fm.RouteNode).fallback)
        ctx.state["queue"] = {"queue_id": arrival.queue_id, "since": ctx.now(), "announced": ctx.now(),
                              "state": getattr(arrival.status, "state", None)}
        ctx.event("queue", queue_id=arrival.queue_id, state=getattr(arrival.status, "state", None),
                  handoff=True, verified=verified)
        if v.get("reverify") == "records":  # still unverified here: self-service stays offered
            v["handoff_arrival"] = arrival.to_dict()
        ctx.step = "hold"
        ctx.say("transferring")
        return self.after_status(ctx, arrival.status, announce=True)

    def self_service(self, ctx: Ctx) -> Step:
        """A handed-over caller (policy `records`) asks for a record self-service while waiting: the call
        leaves the queue (its wait kept for when they come back to an agent) and the caller is told why
        they verify again here."""
        v = ctx.vars
        q = ctx.state["queue"]
        try:
            withdrawn = bool(ctx.homes.agents.withdraw(ctx.call_id, "self_service"))
        except Exception:
            log.exception("withdraw failed for call %s", ctx.call_id)
            withdrawn = False
        if not withdrawn:  # an agent is being offered the call already: the caller stays for them
            ctx.event("handoff", status="self_service_refused", queue_id=q.get("queue_id"))
            return self.after_status(ctx, ctx.homes.agents.call_status(ctx.call_id))
        arrival = dict(v.pop("handoff_arrival"))
        arrival["waited"] = min(float(arrival.get("waited") or 0.0) + max(0.0, ctx.now() - float(q["since"])),
                                3600.0)
        ctx.state["queue"] = None
        ctx.event("handoff", status="self_service", queue_id=q.get("queue_id"))
        v.update(handoff_pending=arrival, handoff_since=ctx.now(), verified=False, id_number="")
        ctx.say("handoff_reverify_records", from_name=provinces.name_of(str(arrival.get("from_center") or "00")),
                center_name=provinces.name_of(str(arrival.get("center_code") or "")))
        return Goto(ctx.flow.settings.records_node or "records_start")

    def ticket(self, ctx: Ctx, decision: Any, ticket_id: int | None) -> Step:
        """The switch's overflow was "ticket" and it opened a work order for the caller's number and
        topic: tell the caller its number."""
        n = ctx.spec(fm.RouteNode)
        ctx.vars["ticket_id"] = ticket_id
        ctx.event("ticket", status="opened", ticket_id=ticket_id, topic=decision.topic, province=decision.province)
        ctx.say("ticket_opened", ticket=str(ticket_id))
        if n.ticket:
            return Goto(n.ticket)
        return Hangup("ticket", (ctx.prompt("goodbye"),))

    def transfer(self, ctx: Ctx, placement: Placement) -> Step:
        """The switch handed the call to another deployment: the channel carries the reference."""
        handoff = placement.handoff
        token = str((handoff.token or handoff.code) if handoff else "")  # switch.arrive takes either
        code = str(handoff.code if handoff else "")
        ctx.event("route", transfer=placement.center_code, trunk=placement.trunk, handoff_code=code)
        ctx.state["outcome_hint"] = "transferred"
        ctx.say("transferring")
        return Transfer(center_code=placement.center_code, trunk=placement.trunk, token=token, code=code)

    @staticmethod
    def queued(ctx: Ctx, queue_id: str, status: Any) -> None:
        """The call waits in `queue_id`: the IVR's note of it (for holding, announcements, callbacks)."""
        ctx.state["queue"] = {"queue_id": queue_id, "since": ctx.now(), "announced": ctx.now(),
                              "state": getattr(status, "state", None)}
        ctx.event("queue", queue_id=queue_id, state=getattr(status, "state", None),
                  position=getattr(status, "position", None), ewt_seconds=getattr(status, "ewt_seconds", None))

    def hold(self, ctx: Ctx, announce: bool, status: Any) -> Hold:
        n = ctx.spec(fm.RouteNode)
        every = float(n.announce_every_s or 30)
        prompts = []
        if announce:
            ctx.state["queue"]["announced"] = ctx.now()
            if status.position == 0:
                prompts.append(ctx.prompt("queue_next"))
            elif status.position is not None:
                prompts.append(ctx.prompt("queue_position", position=int(status.position)))
            if status.ewt_seconds:
                prompts.append(ctx.prompt("queue_ewt", ewt=status.ewt_seconds))
            if _or(n.offer_callback, True) and n.callback:
                prompts.append(ctx.prompt("queue_offer_callback"))
            if self.offers_self_service(ctx):
                prompts.append(ctx.prompt("handoff_records_offer"))
        wait = max(1.0, every - (ctx.now() - float(ctx.state["queue"]["announced"])))
        keys = "1" if _or(n.offer_callback, True) and n.callback else ""
        keys += "7" if self.offers_self_service(ctx) else ""
        return Hold(prompts=tuple(prompts), music=True, max_seconds=wait, keys=keys)

    @staticmethod
    def offers_self_service(ctx: Ctx) -> bool:
        """A handed-over caller under policy `records` may leave the queue for a record self-service."""
        return bool(ctx.vars.get("handoff_arrival")) and ctx.vars.get("reverify") == "records" and \
            (ctx.flow.settings.records_node or "records_start") in ctx.flow.nodes

    def after_status(self, ctx: Ctx, status: Any, announce: bool = False) -> Step:
        n = ctx.spec(fm.RouteNode)
        q = ctx.state["queue"]
        state = getattr(status, "state", None) if status is not None else None
        q["state"] = state
        if state == "connected":
            ctx.step = "connected"
            ctx.vars["agent_id"] = status.agent_id
            ctx.event("agent", status="connected", agent_id=status.agent_id, endpoint=status.agent_endpoint)
            return Connect(agent_id=status.agent_id, endpoint=status.agent_endpoint, call_id=ctx.call_id)
        if state in ("waiting", "offered"):
            waited = ctx.now() - float(q["since"])
            if waited >= float(n.max_wait_s or 900):
                ctx.engine.settle_acd(ctx, "max_wait")
                ctx.event("queue", queue_id=q["queue_id"], state="max_wait", waited=round(waited))
                ctx.say("route_failed")
                return Goto(n.fallback)
            if getattr(status, "overflow", None) == "callback" and n.callback and not q.get("long_wait"):
                q["long_wait"] = True
                ctx.say("queue_long_wait")
                return self.hold(ctx, True, status)
            due = ctx.now() - float(q["announced"]) >= float(n.announce_every_s or 30)
            return self.hold(ctx, announce or due, status)
        if state == "callback":
            ctx.event("queue", queue_id=q["queue_id"], state="callback")
            ctx.say("callback_scheduled")
            return Goto(n.callback or n.fallback)
        ctx.event("queue", queue_id=q["queue_id"], state=state or "lost")
        ctx.say("route_failed")
        return Goto(n.fallback)

    def agent_never_answered(self, ctx: Ctx, reason: str) -> Step:
        """The agent accepted but their phone never picked up: the ACD puts the call back at the head
        of its queue (ring-no-answer) and the agent to not ready; the caller waits on, first in line."""
        agent_id = ctx.vars.pop("agent_id", None)
        ctx.event("agent", status="no_answer", reason=reason, agent_id=agent_id)
        try:
            status = ctx.homes.agents.ring_no_answer(ctx.call_id, reason)
        except Exception:
            log.exception("ring_no_answer failed for call %s", ctx.call_id)
            status = None
        ctx.step = "hold"
        ctx.state["queue"]["announced"] = ctx.now()
        ctx.say("queue_agent_no_answer")
        return self.after_status(ctx, status, announce=True)

    def transferred_here(self, ctx: Ctx) -> Step | None:
        """The agent leg ended because the agent transferred the call to another queue of this
        deployment (console transfer): the caller waits there, announced, and never hears the survey."""
        try:
            status = ctx.homes.agents.call_status(ctx.call_id)
        except Exception:
            log.exception("call_status failed for call %s", ctx.call_id)
            return None
        if status is None or status.state not in ("waiting", "offered"):
            return None
        q = ctx.state["queue"]
        agent_id = ctx.vars.pop("agent_id", None)
        ctx.event("agent", status="transferred", agent_id=agent_id, queue_id=status.queue_id)
        q.update(queue_id=status.queue_id, since=ctx.now(), announced=ctx.now())
        ctx.step = "hold"
        ctx.say("transferring")
        return self.after_status(ctx, status, announce=True)

    def resume(self, ctx: Ctx, result: Result) -> Step:
        n = ctx.spec(fm.RouteNode)
        if ctx.step == "connected":
            if isinstance(result, AgentLegEnded) and result.reason in AGENT_NEVER_ANSWERED:
                return self.agent_never_answered(ctx, result.reason)
            if isinstance(result, AgentLegEnded):
                moved = self.transferred_here(ctx)
                if moved is not None:
                    return moved
                ctx.engine.settle_acd(ctx, "completed")
                ctx.event("agent", status="ended", reason=result.reason, agent_id=ctx.vars.get("agent_id"))
                ctx.state["queue"]["state"] = "ended"
                return Goto(n.next)
            return Connect(agent_id=ctx.vars.get("agent_id"), endpoint=None, call_id=ctx.call_id)
        if isinstance(result, Digits) and result.value[:1] == "7" and self.offers_self_service(ctx):
            ctx.record_input("7", kind="key")
            return self.self_service(ctx)
        if isinstance(result, Digits) and result.value[:1] == "1" and n.callback:
            ctx.record_input("1", kind="key")
            try:
                status = ctx.homes.agents.request_callback(ctx.call_id, ctx.caller or "")
            except Exception:
                log.exception("callback request failed for call %s", ctx.call_id)
                status = None
            ok = status is not None and getattr(status, "state", "") == "callback"
            ctx.event("callback", status="scheduled" if ok else "failed")
            ctx.state["queue"]["state"] = "callback" if ok else ctx.state["queue"]["state"]
            ctx.say("callback_scheduled" if ok else "callback_failed")
            return Goto(n.callback) if ok else self.after_status(ctx, ctx.homes.agents.call_status(ctx.call_id))
        status = ctx.homes.agents.call_status(ctx.call_id)
        return self.after_status(ctx, status)


def insured_region(ctx: Ctx) -> dict[str, Any] | None:
    """Where the verified caller is insured per the core system (参保地 and city), or None."""
    try:
        return ctx.homes.records.insured_region(ctx.call_id, channel="ivr")
    except Exception:
        log.exception("insured_region failed for call %s", ctx.call_id)
        return None


class CallbackNode(Handler):
    """Book a callback. A queued call keeps its place (virtual hold); for a call that is not queued
    (after hours, no agent available) the switch books it with the routing decided earlier
    (`SwitchApi.place` with the callback number)."""

    def enter(self, ctx: Ctx) -> Step:
        n = ctx.spec(fm.CallbackNode)
        number = ctx.fill(n.number or "{caller}")
        ok = False
        try:
            queue = ctx.state.get("queue") or {}
            route = ctx.state.get("route") or {}
            if queue.get("state") == "waiting":  # virtual hold: the call keeps its place
                status = ctx.homes.agents.request_callback(ctx.call_id, number)
                ok = getattr(status, "state", "") == "callback"
            elif route.get("center_code"):  # not queued: the switch books it where it had decided
                call = CallToPlace(call_id=ctx.call_id, caller=ctx.caller, language=ctx.lang,
                                   context={**ctx.engine.queue_context(ctx), "callback_only": True},
                                   priority=int(route.get("priority") or 0), callback_number=number)
                placement = ctx.homes.switch.place(call, RoutingDecision.from_dict(route))
                RouteNode.queued(ctx, placement.queue_id or "", placement.status)
                ok = placement.kind == "callback" and getattr(placement.status, "state", "") == "callback"
        except Exception:
            log.exception("callback request failed for call %s", ctx.call_id)
        ctx.event("callback", number=mask_phone(number), status="scheduled" if ok else "failed")
        if ok:
            ctx.state["queue"]["state"] = "callback"
            ctx.say_prompts(ctx.prompts(n.prompts) or [ctx.prompt("callback_scheduled")])
            return Goto(n.next)
        ctx.say("callback_failed")
        return Goto(n.fallback or n.next)


HANDLERS: dict[str, Handler] = {
    "play": PlayNode(), "set": SetNode(), "branch": BranchNode(), "hangup": HangupNode(), "menu": MenuNode(),
    "listen": ListenNode(), "collect": CollectNode(), "confirm": ConfirmNode(), "survey": SurveyNode(),
    "province": ProvinceNode(), "knowledge": KnowledgeNode(), "sms": SmsNode(), "records": RecordsNode(),
    "route": RouteNode(), "callback": CallbackNode(),
}

__all__ = ["HANDLERS", "Handler", "Played"]
