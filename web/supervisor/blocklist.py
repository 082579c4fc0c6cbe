"""Supervisor operations on the caller blocklist (/api/v1/supervisor/blocklist...): block a number
for the own province (a national supervisor also nationwide) with a reason and an expiry, list the
blocks in force, lift one. Numbers are masked; every change is audited by the switch."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from switch.blocklist import BlockError
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

SUP = ("supervisor",)


def blocks() -> dict:
    scope = None if current_user.is_national else current_user.province_scope
    rows = to_jsonable([b.to_dict() for b in platform_of().switch.blocklist.active(scope)])
    return {"blocks": rows, "national": current_user.is_national}


@op("/supervisor/blocklist", roles=SUP, tag="supervisor", template="supervisor/_blocklist.html")
def supervisor_blocklist() -> dict:
    """Blocks in force for my province (national ones included); numbers masked."""
    return blocks()


@op("/supervisor/blocklist", method="POST", roles=SUP, tag="supervisor", template="supervisor/_blocklist.html",
    params=(Param("number", required=True), Param("reason", required=True),
            Param("days", kind="number", description="how long (default 30)"),
            Param("scope", description="a province code, or * nationwide (national supervisors only)")))
def supervisor_block(number: str, reason: str, days: float | None, scope: str | None) -> dict:
    """Block a caller number (harassment, abuse): they hear a neutral message and the call ends."""
    target = scope or current_user.province_scope
    if target in ("*", "00"):
        target = "*"
    allowed = current_user.is_national if target == "*" else current_user.can_see_province(target)
    if not allowed:
        abort(403, description="outside your scope")
    try:
        platform_of().switch.blocklist.block(number, reason=reason, actor=f"user:{current_user.id}", scope=target,
                                          days=days or 30)
    except BlockError as exc:
        raise BadInput(exc.message) from None
    return blocks()


@op("/supervisor/blocklist/<int:block_id>/lift", method="POST", roles=SUP, tag="supervisor",
    template="supervisor/_blocklist.html")
def supervisor_unblock(block_id: int) -> dict:
    """Lift a block before it expires (only one within my scope)."""
    if not any(b["id"] == block_id for b in blocks()["blocks"] if current_user.is_national or b["scope"] != "*"):
        abort(404, description=f"no block {block_id} in your scope")
    try:
        platform_of().switch.blocklist.lift(block_id, actor=f"user:{current_user.id}")
    except BlockError as exc:
        raise BadInput(exc.message) from None
    return blocks()
