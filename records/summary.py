"""What a verified citizen hears (IVR) or reads (SMS) about their own record."""

from __future__ import annotations

from typing import Any

from core.masking import mask_id, mask_name
from records.view import RecordView

SELF_SERVICE_SECTIONS = ("pension", "medical", "unemployment", "injury", "contributions", "pension_payments")


def _month(value: str | None) -> str:
    if not value or len(value) < 7:
        return "无"
    return f"{int(value[:4])}年{int(value[5:7])}月"


def _day(value: str) -> str:
    return f"{int(value[:4])}年{int(value[5:7])}月{int(value[8:10])}日"


def self_service_fields(view: RecordView) -> dict[str, Any]:
    """Masked identity plus the citizen's own figures (balances are theirs to hear)."""
    s = view.sections
    fields: dict[str, Any] = {"name": mask_name(view.person.get("name")), "id_number": mask_id(view.id_number),
                              "status": view.person.get("status"), "insured_province": view.province}
    if s.get("pension"):
        fields.update(contribution_months=s["pension"]["contribution_months"],
                      pension_balance=str(s["pension"]["balance"]),
                      last_contribution_month=s["pension"]["last_contribution_month"])
    if s.get("medical"):
        fields["medical_balance"] = str(s["medical"]["balance"])
    if s.get("pension_payments"):
        last = s["pension_payments"][0]
        fields.update(last_pension_month=last["month"], last_pension_amount=str(last["amount"]))
    if s.get("unemployment") and s["unemployment"]["status"] == "receiving":
        fields["unemployment_benefit_monthly"] = str(s["unemployment"]["benefit_monthly"])
        fields["unemployment_months_left"] = s["unemployment"]["months_entitled"] - s["unemployment"]["months_paid"]
    if s.get("injury") and s["injury"]["status"] != "none":
        fields["injury_status"] = s["injury"]["status"]
    arrears = [c["month"] for c in s.get("contributions") or [] if not c["paid"]]
    if arrears:
        fields["arrears_months"] = arrears
    return fields


def speech(view: RecordView) -> str:
    s = view.sections
    parts: list[str] = []
    if s.get("pension"):
        p = s["pension"]
        parts.append(f"您的养老保险累计缴费{p['contribution_months']}个月，个人账户余额{p['balance']}元，"
                     f"最近一次缴费月份为{_month(p['last_contribution_month'])}。")
    if s.get("pension_payments"):
        pay = s["pension_payments"][0]
        parts.append(f"您{_month(pay['month'])}的养老金{pay['amount']}元已于{_day(pay['paid_on'])}发放。")
    if s.get("medical"):
        parts.append(f"医保个人账户余额{s['medical']['balance']}元。")
    u = s.get("unemployment")
    if u and u["status"] == "receiving":
        parts.append(f"您正在领取失业保险金，每月{u['benefit_monthly']}元，已领取{u['months_paid']}个月，"
                     f"共可领取{u['months_entitled']}个月。")
    i = s.get("injury")
    if i and i["status"] == "recognised":
        grade = f"，伤残等级{i['disability_grade']}级" if i.get("disability_grade") else ""
        parts.append(f"您的工伤已认定{grade}。")
    elif i and i["status"] == "assessing":
        parts.append("您的工伤认定正在办理中。")
    arrears = [c["month"] for c in s.get("contributions") or [] if not c["paid"]]
    if arrears:
        parts.append(f"{'、'.join(_month(m) for m in arrears)}尚未缴费，请联系单位核实。")
    return "".join(parts) or "暂无您的缴费和待遇记录。"
