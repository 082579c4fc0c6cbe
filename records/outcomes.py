"""Outcome objects returned to the IVR, SMS and console: never exceptions for expected failures.
Every outcome carries `speech`, a Simplified-Chinese sentence the IVR can read out as is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENT_OFFER = "如需人工服务，请按0。"
BUSY = "系统繁忙，请稍后再试。" + AGENT_OFFER
UNKNOWN = "未查询到该身份证号码的参保信息，请核对后重新输入。" + AGENT_OFFER
NOT_VERIFIED = "请先完成身份验证。"
VERIFIED = "身份验证成功。"
NO_PASSWORD = "您尚未设置查询密码，请选择短信验证码验证。" + AGENT_OFFER
NO_MOBILE = "您没有登记手机号码，无法发送验证码。" + AGENT_OFFER
OTP_SEND_FAILED = "验证码发送失败，请稍后再试。" + AGENT_OFFER
OTP_TOO_OFTEN = "验证码发送过于频繁，请10分钟后再试。" + AGENT_OFFER
OTP_EXPIRED = "验证码已失效，请重新获取验证码。"
SESSION_BLOCKED = "本次通话验证失败次数过多，自助查询已停止。" + AGENT_OFFER
MUST_CHANGE = "您使用的是初始密码，请及时修改查询密码。"


def wrong_password(left: int) -> str:
    return f"密码不正确，您还可以尝试{left}次。"


def wrong_code(left: int) -> str:
    return f"验证码不正确，您还可以尝试{left}次。"


def locked(minutes: int) -> str:
    return f"由于多次验证失败，该身份证号码的自助查询已暂停，请{minutes}分钟后再试。" + AGENT_OFFER


def otp_sent(tail: str, minutes: int) -> str:
    return f"验证码已发送至您尾号{tail}的手机，{minutes}分钟内有效，请输入6位验证码。"


@dataclass(frozen=True)
class Verification:
    status: str  # ok | wrong | locked | invalid_id | unknown_person | unavailable | otp_sent
    speech: str
    attempts_left: int | None = None
    province: str | None = None
    reason: str = ""  # finer code, e.g. no_password, weak_password, mismatch, not_verified, checksum
    must_change: bool = False
    caller_is_registered: bool = False  # set by send_otp: the requester is the registered mobile

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class RecordOutcome:
    status: str  # ok | not_verified | unavailable | unknown_person | denied | invalid_id
    speech: str
    fields: dict[str, Any] = field(default_factory=dict)
    masked: bool = True
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"
