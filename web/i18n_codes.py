"""Message ids the console builds at run time (`code(prefix, value)` in templates, `translate_code`,
`_('state.' ~ state)`, names passed to a macro), marked with `N_` so `scripts/translations extract`
keeps them in web/translations/messages.pot. A new code shown in the console gets a line here and a
translation in both .po files (tests/web/test_i18n.py fails otherwise)."""

from __future__ import annotations

from web.i18n import N_

RUNTIME_IDS: tuple[str, ...] = (
    # wallboard tiles and report columns (passed to a macro or looked up by name)
    N_("abandoned"), N_("abandonment"), N_("aht"), N_("asa"), N_("day"), N_("flagged"), N_("interval"),
    N_("location"), N_("longest_wait"), N_("publish"), N_("service_level"), N_("sign_in"), N_("sms_sent"),
    N_("submit"), N_("ticket"), N_("version"), N_("waiting"),
    # holiday calendar statuses and kinds (`_('calendar.' ~ status)`)
    N_("calendar.kind.holiday"), N_("calendar.kind.workday"), N_("calendar.official"), N_("calendar.provisional"),
    # call states, `code('call', state)`
    N_("call.abandoned"), N_("call.callback"), N_("call.connected"), N_("call.ended"), N_("call.held"),
    N_("call.offered"), N_("call.waiting"),
    # callback kinds, statuses and outcomes, `code('callback.…', value)`
    N_("callback.kind.missed"), N_("callback.kind.virtual_hold"), N_("callback.outcome.no_answer"),
    N_("callback.outcome.not_needed"), N_("callback.outcome.reached"), N_("callback.outcome.wrong_number"),
    N_("callback.status.cancelled"), N_("callback.status.done"), N_("callback.status.failed"),
    N_("callback.status.pending"), N_("callback.status.queued"),
    # weekdays of the opening hours form (`_('day.' ~ d)`)
    N_("day.fri"), N_("day.mon"), N_("day.sat"), N_("day.sun"), N_("day.thu"), N_("day.tue"), N_("day.wed"),
    # wrap-up codes and how IVR calls ended, `code('disposition', code)`
    N_("disposition.abandoned"), N_("disposition.agent_hangup"), N_("disposition.callback"),
    N_("disposition.caller_hangup"), N_("disposition.complaint"), N_("disposition.completed"),
    N_("disposition.error"), N_("disposition.lost"), N_("disposition.no_flow"), N_("disposition.none"),
    N_("disposition.other"), N_("disposition.resolved"), N_("disposition.sms_sent"), N_("disposition.ticket"),
    N_("disposition.too_many_attempts"), N_("disposition.transferred"), N_("disposition.transferred_remote"),
    N_("disposition.wrong_number"),
    # knowledge flag reasons, `code('flag', reason)`
    N_("flag.other"), N_("flag.outdated"), N_("flag.unclear"), N_("flag.wrong"),
    # knowledge editor: audit actions, changed fields, analytics headings, suggestion kinds
    N_("kb.action.archive"), N_("kb.action.create"), N_("kb.action.flag"), N_("kb.action.import"),
    N_("kb.action.notice"), N_("kb.action.notice_edit"), N_("kb.action.notice_withdraw"), N_("kb.action.publish"),
    N_("kb.action.reject"), N_("kb.action.resolve_flag"), N_("kb.action.rollback"), N_("kb.action.schedule"),
    N_("kb.action.submit"), N_("kb.action.update"), N_("kb.add_question"), N_("kb.field.body_html"),
    N_("kb.field.category"), N_("kb.field.city"), N_("kb.field.effective_from"), N_("kb.field.effective_to"),
    N_("kb.field.keywords"), N_("kb.field.links"), N_("kb.field.province"), N_("kb.field.questions"),
    N_("kb.field.short_answer"), N_("kb.field.synonyms"), N_("kb.field.title"), N_("kb.review_answer"),
    N_("kb.top_queries"), N_("kb.unanswered"),
    # agent languages, `code('language', code)`
    N_("language.en"), N_("language.nan"), N_("language.wuu"), N_("language.yue"), N_("language.zh"),
    # record look-up outcomes, `code('lookup', outcome)`
    N_("lookup.denied"), N_("lookup.invalid_id"), N_("lookup.not_verified"), N_("lookup.ok"),
    N_("lookup.unavailable"), N_("lookup.unknown_person"),
    # markdown toolbar buttons (`_(label)`)
    N_("md.bold"), N_("md.heading"), N_("md.italic"), N_("md.link"), N_("md.ol"), N_("md.ul"),
    # center modes, `code('mode', mode)`
    N_("mode.local"), N_("mode.remote"),
    # supervisor monitoring modes (`_('monitor.' ~ m)`)
    N_("monitor.barge"), N_("monitor.listen"), N_("monitor.whisper"),
    # hours overrides (`_('override.' ~ kind)`)
    N_("override.closed"), N_("override.holiday"), N_("override.open"), N_("override.workday"),
    # quality review results, `code('qa', result)`
    N_("qa.partial"), N_("qa.pass"),
    # not-ready reasons, `code('reason', reason)`
    N_("reason.after_call"), N_("reason.break"), N_("reason.declined"), N_("reason.meal"), N_("reason.meeting"),
    N_("reason.no_answer"), N_("reason.other"), N_("reason.supervisor"), N_("reason.training"),
    # insurance record sections, fields and values (web/agent/record_view.py)
    N_("record.contributions.medical"), N_("record.contributions.pension"), N_("record.contributions.unemployment"),
    N_("record.field.amount"), N_("record.field.balance"), N_("record.field.bank_account_tail"),
    N_("record.field.base"), N_("record.field.benefit_monthly"), N_("record.field.birth_date"),
    N_("record.field.contribution_months"), N_("record.field.disability_grade"), N_("record.field.employer"),
    N_("record.field.fund_paid"), N_("record.field.hospital"), N_("record.field.id_number"),
    N_("record.field.injury_date"), N_("record.field.insured_city"), N_("record.field.insured_province"),
    N_("record.field.last_contribution_month"), N_("record.field.month"), N_("record.field.monthly_allowance"),
    N_("record.field.months_entitled"), N_("record.field.months_paid"), N_("record.field.name"),
    N_("record.field.paid"), N_("record.field.paid_on"), N_("record.field.registered_mobile"),
    N_("record.field.self_paid"), N_("record.field.settled_on"), N_("record.field.start_month"),
    N_("record.field.status"), N_("record.field.total"), N_("record.section.contributions"),
    N_("record.section.injury"), N_("record.section.medical"), N_("record.section.pension"),
    N_("record.section.pension_payments"), N_("record.section.person"), N_("record.section.settlements"),
    N_("record.section.unemployment"), N_("record.value.active"), N_("record.value.none"),
    N_("record.value.receiving"), N_("record.value.recognised"), N_("record.value.retired"),
    N_("record.value.suspended"), N_("record.value.unemployed"),
    # report columns, `code('report', column)`
    N_("report.abandoned"), N_("report.abandonment_rate"), N_("report.agent_id"), N_("report.aht"),
    N_("report.answered"), N_("report.answered_in_sl"), N_("report.asa"), N_("report.center_code"), N_("report.day"),
    N_("report.handled"), N_("report.interval"), N_("report.login"), N_("report.name"), N_("report.offered"),
    N_("report.queue_id"), N_("report.service_level"),
    # knowledge revision statuses, `code('revision', status)`
    N_("revision.archived"), N_("revision.draft"), N_("revision.in_review"), N_("revision.published"),
    N_("revision.scheduled"), N_("revision.superseded"),
    # roles, `code('role', role)`
    N_("role.admin"), N_("role.agent"), N_("role.editor"), N_("role.qa"), N_("role.reviewer"), N_("role.supervisor"),
    # browser phone states (`_('softphone.' ~ s)`, read by softphone.js)
    N_("softphone.connected"), N_("softphone.error"), N_("softphone.ready"), N_("softphone.ringing"),
    # agent states, `code('state', state)` and the wallboard's tiles
    N_("state.busy"), N_("state.held"), N_("state.logged_out"), N_("state.not_ready"), N_("state.offered"),
    N_("state.on_call"), N_("state.ready"), N_("state.wrap_up"),
    # satisfaction scores (`_('survey.score.' ~ k)`)
    N_("survey.score.1"), N_("survey.score.2"), N_("survey.score.3"), N_("survey.score.4"),
    # ticket statuses and history events, `code('ticket', status)`
    N_("ticket.closed"), N_("ticket.event.assigned"), N_("ticket.event.closed"), N_("ticket.event.comment"),
    N_("ticket.event.opened"), N_("ticket.in_progress"), N_("ticket.open"),
    # ticket list headings
    N_("tickets.center"), N_("tickets.mine"),
    # service topics, `code('topic', topic)` and queue names
    N_("topic.card"), N_("topic.employment"), N_("topic.general"), N_("topic.injury_maternity"), N_("topic.labour"),
    N_("topic.medical"), N_("topic.pension"),
)
