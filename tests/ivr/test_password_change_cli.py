"""The password-change branch end to end: `hotline call --json` on the real services after
`hotline init --demo`, with the demo citizen. The three sensitive entries (old, new, repeat) are
collected at three prompts and must all reach `records.change_password` (a value lost between prompts
would arrive empty and be refused as "missing_old" / "mismatch")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner

from hotline.cli import main

WORKDAY = "2026-11-24T10:00"
ID, PASSWORD = "11010519491231002X", "246810"  # records/demo_citizens.py
NEW = "538164"  # strong: no run, no repeat, not the birth date or part of the ID


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], dict]]:
    env = {"HOTLINE_DATA_DIR": str(tmp_path_factory.mktemp("hotline-pw"))}  # own data: the password changes
    out = CliRunner().invoke(main, ["init", "--demo"], env=env)
    assert out.exit_code == 0, out.output

    def run(keys: str) -> dict:
        res = CliRunner().invoke(main, ["call", "--in-place", "--from", "13800138000", "--keys", keys, "--at", WORKDAY,
                                        "--json"],
                                 env=env)
        assert res.exit_code == 0, res.output + repr(res.exception)
        return json.loads(res.output)

    yield run


def records(doc: dict) -> list[tuple[str, str]]:
    return [(e["op"], e["status"]) for e in doc["events"] if e["type"] == "record"]


def said(doc: dict, pid: str) -> list[str]:
    return [e["text"] for e in doc["events"] if e["type"] == "prompt" and e["id"] == pid]


def login(password: str) -> str:
    return f"7 1 {ID}# 1 1 {password}#"


def test_change_password_then_weak_password_refused(call) -> None:
    doc = call(f"{login(PASSWORD)} 2 {PASSWORD} {NEW} {NEW} 9 h")
    assert records(doc) == [("verify_password", "ok"), ("summary", "ok"), ("change_password", "ok")]
    assert said(doc, "records:change_password:ok") == ["查询密码修改成功，请牢记新密码。"]
    text = json.dumps(doc, ensure_ascii=False)
    assert PASSWORD not in text and NEW not in text  # the secrets never reach the transcript

    # the new password works from the next call on, the old one no longer does
    assert records(call(f"{login(NEW)} 9 h"))[0] == ("verify_password", "ok")
    assert records(call(f"{login(PASSWORD)} 0 h"))[0] == ("verify_password", "wrong")

    # a weak new password is refused with its reason, and the password stays as it was
    doc = call(f"{login(NEW)} 2 {NEW} 123456 123456 9 h")
    assert records(doc)[-1] == ("change_password", "wrong")
    assert said(doc, "records:change_password:wrong") == ["密码不能是连续的数字，请重新设置。"]
    assert records(call(f"{login(NEW)} 9 h"))[0] == ("verify_password", "ok")

    # a repeat that differs is refused as a mismatch (both entries arrived, they differ)
    doc = call(f"{login(NEW)} 2 {NEW} 902417 902471 9 h")
    assert said(doc, "records:change_password:wrong") == ["两次输入的新密码不一致，请重新输入。"]
