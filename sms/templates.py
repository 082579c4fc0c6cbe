"""SMS templates with named variables (`{name}`), validated when saved and when rendered."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sms.models import CATEGORIES, Template

# The templates other homes rely on (docs/contracts.md), seeded by sms/demo.py.
DEFAULT_TEMPLATES: dict[str, tuple[str, str, str]] = {
    # name: (body, category, description)
    "verification_code": ("您的验证码为{code}，{minutes}分钟内有效。请勿告诉他人。", "otp", "一次性验证码"),
    "kb_answer": ("{title}：{answer}", "reply", "知识库答复"),
    "record_summary": ("您的参保信息：{summary}", "reply", "参保信息摘要（仅发往登记手机号）"),
    "callback_scheduled": ("您的回电请求已登记，工作人员将于{time}前后与您联系。", "reply", "回电已登记"),
    "pension_paid": ("您{month}的养老金{amount}元已发放，请注意查收。回复TD退订", "essential", "养老金发放通知"),
    "card_ready": ("您的社会保障卡已制作完成，请到{place}领取。回复TD退订", "notice", "社保卡领卡通知"),
    "free_text": ("{text}", "reply", "自由文本（回复与人工发送）"),
}


class TemplateError(ValueError):
    """A template body or its variables do not fit together."""


@dataclass(frozen=True)
class TemplateView:
    name: str
    body: str
    variables: tuple[str, ...]
    category: str
    description: str


def fields_of(body: str) -> list[str]:
    """The named fields of a body, in order, each once; positional or formatted fields are errors."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise TemplateError(f"模板格式错误: {exc}") from None
    for _literal, field, spec, conv in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise TemplateError(f"变量名无效: {{{field}}}（只能用命名变量，如 {{code}}）")
        if spec or conv:
            raise TemplateError(f"变量 {{{field}}} 不能带格式说明")
        if field not in names:
            names.append(field)
    return names


def validate(name: str, body: str, variables: list[str] | tuple[str, ...], category: str) -> None:
    if not name or not name.replace("_", "").isalnum():
        raise TemplateError("模板名只能包含字母、数字和下划线")
    if category not in CATEGORIES:
        raise TemplateError(f"未知类别 {category}（可选: {', '.join(CATEGORIES)}）")
    if not body.strip():
        raise TemplateError("模板内容为空")
    used = set(fields_of(body))
    declared = set(variables)
    if unknown := sorted(used - declared):
        raise TemplateError(f"模板使用了未声明的变量: {', '.join(unknown)}")
    if missing := sorted(declared - used):
        raise TemplateError(f"声明的变量未在模板中使用: {', '.join(missing)}")


def render(view: TemplateView, values: dict[str, Any]) -> str:
    given = {k for k, v in values.items() if v is not None and str(v) != ""}
    if missing := [v for v in view.variables if v not in given]:
        raise TemplateError(f"模板 {view.name} 缺少变量: {', '.join(missing)}")
    if unknown := sorted(set(values) - set(view.variables)):
        raise TemplateError(f"模板 {view.name} 没有变量: {', '.join(unknown)}")
    return view.body.format(**{k: str(values[k]) for k in view.variables})


class TemplateStore:
    """Templates in the platform database."""

    def __init__(self, db: object, clock: object) -> None:
        self.db, self.clock = db, clock

    def save(self, name: str, body: str, *, category: str = "notice", description: str = "",
             variables: list[str] | None = None) -> TemplateView:
        """Create or replace a template; `variables` defaults to the fields the body uses."""
        declared = list(variables) if variables is not None else fields_of(body)
        validate(name, body, declared, category)
        with self.db.session() as s:  # type: ignore[attr-defined]
            row = s.get(Template, name)
            if row is None:
                row = Template(name=name)
                s.add(row)
            row.body, row.variables, row.category, row.description = body, declared, category, description
            row.updated_at = self.clock.now()  # type: ignore[attr-defined]
        return TemplateView(name, body, tuple(declared), category, description)

    def get(self, name: str) -> TemplateView | None:
        with self.db.session() as s:  # type: ignore[attr-defined]
            row = s.get(Template, name)
            if row is None:
                return None
            return TemplateView(row.name, row.body, tuple(row.variables), row.category, row.description)

    def require(self, name: str) -> TemplateView:
        view = self.get(name)
        if view is None:
            default = DEFAULT_TEMPLATES.get(name)
            if default is None:
                raise TemplateError(f"没有模板 {name}")
            body, category, description = default
            return TemplateView(name, body, tuple(fields_of(body)), category, description)
        return view

    def all(self) -> list[TemplateView]:
        with self.db.session() as s:  # type: ignore[attr-defined]
            rows = s.execute(select(Template).order_by(Template.name)).scalars().all()
            return [TemplateView(r.name, r.body, tuple(r.variables), r.category, r.description) for r in rows]

    def seed_defaults(self) -> int:
        created = 0
        for name, (body, category, description) in DEFAULT_TEMPLATES.items():
            if self.get(name) is None:
                self.save(name, body, category=category, description=description)
                created += 1
        return created
