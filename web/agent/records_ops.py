"""Record look-up from the console (/api/v1/records/lookup): the verified caller of my call, or anyone
with a stated reason; every attempt, refused ones included, is audited."""

from __future__ import annotations

from flask_login import current_user
from werkzeug.exceptions import HTTPException

from core.masking import mask_id
from web.agent.context import call_record, require_my_call
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

# ---- records ----------------------------------------------------------------------------------

@op("/records/lookup", method="POST", roles=("agent", "supervisor"), tag="records", template="agent/_record.html",
    params=(Param("call_id", description="the call the caller was verified on"),
            Param("id_number", description="ID number (when not the verified caller)"),
            Param("reason", description="why, when not the verified caller of this call")))
def records_lookup(call_id: str | None, id_number: str | None, reason: str | None) -> dict:
    """Look up an insurance record: the verified caller of my call, or anyone with a stated reason.
    Every attempt the console refuses (not my call, no reason, no ID) is audited too."""
    try:
        return _records_lookup(call_id, id_number, reason)
    except (HTTPException, BadInput) as refused:
        status = getattr(refused, "code", None) or 400
        message = getattr(refused, "description", None) or str(refused)
        platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="record.lookup",
                                   outcome="refused", subject=(id_number or "").strip().upper()[:100] or None,
                                   session_id=(call_id or None) and str(call_id)[:64],
                                   detail={"status": int(status), "why": str(message)[:200],
                                           "reason": (reason or "")[:200]})
        raise


def _records_lookup(call_id: str | None, id_number: str | None, reason: str | None) -> dict:
    transferred = False
    if call_id:
        record = call_record(call_id)
        require_my_call(record)
        transferred = bool((record.get("context") or {}).get("transferred"))
        if not id_number:
            id_number = platform_of().records.is_verified(call_id)
            if not id_number:
                raise BadInput("来电人未核验身份，请填写身份证号和查询理由 / caller not verified: give ID and reason")
            reason = reason or None
    if not id_number:
        raise BadInput("需要身份证号 / an ID number is needed")
    if not call_id and not (reason and reason.strip()):
        raise BadInput("需要查询理由 / a reason is needed")
    # the records service checks the call is mine and audits
    outcome = platform_of().records.agent_view(current_user, id_number.strip().upper(), call_id=call_id,
                                               reason=reason, transferred=transferred)
    return {"status": outcome.status, "speech": outcome.speech, "fields": to_jsonable(outcome.fields),
            "subject": mask_id(id_number)}
