"""The engine's parts: the action/result contract, prompts, digit validators, conditions, intents."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from core.clock import local_zone
from ivr import actions as a
from ivr.conditions import Facts, evaluate
from ivr.intent import IntentClassifier, load_training_data, read_rasa_nlu
from ivr.prompts import PromptCatalog, fill
from ivr.validators import VALIDATORS
from tests.ivr.fakes import HoursState

# ----------------------------------------------------------------------------- actions


@pytest.mark.parametrize("obj", [
    a.Play((a.Prompt("welcome", "您好"),), barge_in=True),
    a.Collect((a.Prompt("x", "请输入", "zh/x"),), 18, 18, 15.0, "#", 3.0),
    a.Listen((a.Prompt("q", "请说", None, "en"),), 4.0),
    a.Hold((), True, 30.0, "1"),
    a.Connect(17, "PJSIP/agent-17", "c1"),
    a.Transfer("44", "trunk-gd", "12345678"),
    a.Hangup("completed", (a.Prompt("goodbye", "再见"),)),
])
def test_actions_round_trip_through_json(obj: a.Action) -> None:
    raw = json.loads(json.dumps(obj.to_dict()))
    assert raw["kind"] == obj.kind
    assert a.action_from_dict(raw) == obj


@pytest.mark.parametrize("obj", [a.Played(), a.Digits("11*"), a.Timeout(), a.Speech("养老", 0.8), a.CallerHangup(),
                                 a.HoldTick(), a.AgentLegEnded("agent_hangup")])
def test_results_round_trip(obj: a.Result) -> None:
    assert a.result_from_dict(json.loads(json.dumps(obj.to_dict()))) == obj


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown kind 'dance'"):
        a.action_from_dict({"kind": "dance"})
    assert a.is_final(a.Hangup("x")) and not a.is_final(a.Hold(()))


# ----------------------------------------------------------------------------- prompts


def test_catalog_renders_languages_filters_and_audio(tmp_path: Path) -> None:
    (tmp_path / "audio" / "zh").mkdir(parents=True)
    (tmp_path / "audio" / "zh" / "welcome.wav").write_bytes(b"RIFF")
    catalog = PromptCatalog.load(audio_dir=tmp_path / "audio")
    assert catalog.render("welcome").audio == "zh/welcome"
    assert catalog.render("welcome", "en").audio is None and catalog.render("welcome", "en").language == "en"
    p = catalog.render("province_confirm", "zh", {"province": "44"})
    assert "广东省" in p.text and p.audio is None
    assert catalog.render("queue_ewt", "en", {"ewt": 125}).text == "The estimated wait is about 3 minutes."
    assert fill("{n|digits}/{m|yuan}/{q|ordinal}", {"n": "12X", "m": "6475.50", "q": 3}, "zh") == "1 2 X/6475.5元/第3位"
    with pytest.raises(KeyError):
        catalog.render("nope")


def test_catalog_rejects_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: {zh: 一}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("x: {zh: 二}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        PromptCatalog.load(tmp_path)


# ----------------------------------------------------------------------------- validators


@pytest.mark.parametrize("validator,raw,value,reason", [
    ("citizen_id", "11010519491231002*", "11010519491231002X", None),
    ("citizen_id", "110105194912310021", None, "invalid_id_checksum"),
    ("citizen_id", "11010519491231", None, "invalid_id_length"),
    ("citizen_id", "110105491231002", None, "invalid_id_legacy"),
    ("password6", "246810", "246810", None),
    ("password6", "24681", None, "invalid_password"),
    ("phone", "13800138000", "13800138000", None),
    ("phone", "12345", None, "invalid_phone"),
    ("date", "20260229", None, "invalid_date"),
    ("date", "20280229", "2028-02-29", None),
    ("province", "020", "44", None),
    ("province", "0991", "65", None),
    ("province", "51", "51", None),
    ("province", "00", None, "invalid_province"),
])
def test_validators(validator: str, raw: str, value: str | None, reason: str | None) -> None:
    assert VALIDATORS[validator](raw) == (value, reason)


# ----------------------------------------------------------------------------- conditions


def facts(hhmm: str = "10:00", hours: HoursState | None = None, **variables: object) -> Facts:
    h, m = hhmm.split(":")
    now = datetime(2026, 11, 24, int(h), int(m), tzinfo=local_zone())  # a Tuesday
    return Facts(now, variables, lambda: hours or HoursState(True, "weekly_hours", ""), lambda: 400)


def test_conditions() -> None:
    assert evaluate({"time": "08:30-17:30"}, facts("10:00"))
    assert not evaluate({"time": "08:30-17:30"}, facts("17:30"))
    assert evaluate({"time": "22:00-06:00"}, facts("23:10")) and evaluate({"time": "22:00-06:00"}, facts("05:00"))
    assert evaluate({"weekday": [2]}, facts()) and not evaluate({"weekday": [6, 7]}, facts())
    assert evaluate({"hours": "open"}, facts())
    assert evaluate({"hours": ["holiday"]}, facts(hours=HoursState(False, "holiday", "")))
    assert evaluate({"hours": "closed"}, facts(hours=HoursState(False, "emergency", "")))
    assert evaluate({"province": ["44", "51"]}, facts(province="44"))
    assert evaluate({"var": "n", "gt": 3}, facts(n="5")) and not evaluate({"var": "n", "lt": 3}, facts(n="5"))
    assert evaluate({"var": "lang", "in": ["en"]}, facts(lang="en"))
    assert evaluate({"var": "x"}, facts(x=1)) and not evaluate({"var": "x"}, facts())
    assert evaluate({"ewt_over": 300}, facts()) and not evaluate({"ewt_over": 600}, facts())
    assert evaluate({"any": [{"language": "en"}, {"not": {"province": "11"}}]}, facts(province="44"))
    assert not evaluate({"all": [{"time": "08:00-09:00"}, {"hours": "open"}]}, facts())
    with pytest.raises(ValueError, match="unknown condition"):
        evaluate({"moon": "full"}, facts())


# ----------------------------------------------------------------------------- intents


def test_rasa_nlu_reader_strips_entity_markup() -> None:
    text = ('version: "3.1"\nnlu:\n- intent: card\n  examples: |\n    - 我的[社保卡](card_type)丢了\n'
            "    - 补办社保卡\n- synonym: 社保卡\n  examples: |\n    - 社会保障卡\n")
    assert read_rasa_nlu(text) == [("我的社保卡丢了", "card"), ("补办社保卡", "card")]
    with pytest.raises(ValueError, match="nlu"):
        read_rasa_nlu("nlu: 3\n")


def test_classifier_predicts_and_declines_below_threshold(tmp_path: Path) -> None:
    pairs, version = load_training_data()
    assert len(pairs) > 80 and len({i for _, i in pairs}) == 8
    model = IntentClassifier.train(pairs, threshold=0.35, version=version)
    assert model.predict("社保卡丢了怎么办").intent == "card"
    assert model.predict("转人工").intent == "agent"
    vague = model.predict("今天天气怎么样")
    assert vague.intent is None and vague.best and vague.confidence < 0.35
    assert model.predict("").intent is None


def test_classifier_cache_file(tmp_path: Path) -> None:
    from ivr import intent

    intent._MEMO.clear()
    model = IntentClassifier.load_or_train(tmp_path)
    cached = list(tmp_path.glob("intent-*.pkl"))
    assert len(cached) == 1 and model.version in cached[0].name
    intent._MEMO.clear()
    again = IntentClassifier.load_or_train(tmp_path)
    assert again.predict("失业金怎么领").intent == "employment"


def test_prompts_render_needs_espeak_and_sox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`hotline prompts render` writes the static prompts with the speech layer (espeak-ng + sox)."""
    import os
    import shutil
    import wave

    from click.testing import CliRunner

    from hotline.cli import main

    path = os.environ.get("PATH", "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    out = CliRunner().invoke(main, ["prompts", "render", "--out", str(tmp_path / "wav")])
    assert out.exit_code == 1 and "no TTS engine could render" in out.output and "espeak-ng" in out.output
    monkeypatch.setenv("PATH", path)
    if not (shutil.which("espeak-ng") and shutil.which("sox")) and not os.environ.get("CI"):
        pytest.skip("espeak-ng and sox are not installed (scripts/install-system-deps installs them)")
    out = CliRunner().invoke(main, ["prompts", "render", "--out", str(tmp_path / "wav"), "--lang", "zh"])
    assert out.exit_code == 0, out.output
    with wave.open(str(tmp_path / "wav" / "zh" / "welcome.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2) and w.getnframes() > 8000
    assert not (tmp_path / "wav" / "zh" / "queue_position.wav").exists()  # dynamic: spoken at call time
    assert PromptCatalog.load(audio_dir=tmp_path / "wav").render("welcome").audio == "zh/welcome"


def test_every_prompt_the_engine_speaks_is_in_the_catalog_in_both_languages() -> None:
    import re

    import ivr

    catalog = PromptCatalog.load()
    source = "".join((Path(ivr.__file__).parent / f).read_text(encoding="utf-8")
                     for f in ("nodes.py", "engine.py", "context.py", "validators.py"))
    used = set(re.findall(r'(?:say|prompt|render)\("([a-z_0-9]+)"', source))
    used |= set(re.findall(r'"(invalid_[a-z_]+)"', source)) - {"invalid_prompt"}  # a node field, not a prompt
    assert len(used) > 25
    assert sorted(used - set(catalog.entries)) == []
    assert catalog.missing_translations("en") == []
