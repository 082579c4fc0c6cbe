"""Chinese text normalisation: what the engine is given to say."""

from __future__ import annotations

import pytest

from ivr.speech.normalize import digits_zh, money_zh, speakable, spoken_language


@pytest.mark.parametrize(("text", "spoken"), [
    ("122400.29元", "十二万二千四百元二角九分"),
    ("您本月养老金3000元。", "您本月养老金三千元。"),
    ("余额0.05元", "余额五分"),
    ("补发1,200.50元", "补发一千二百元五角"),
    ("￥86.07", "八十六元零七分"),
    ("共1.5万元", "共一点五万元"),
    ("2026-11-24起", "二零二六年十一月二十四日起"),
    ("2026年3月", "二零二六年三月"),
    ("从2019年1月1日", "从二零一九年一月一日"),
    ("工作日8:30至17:00", "工作日八点三十分至十七点"),
    ("缴费比例8%", "缴费比例百分之八"),
    ("上涨2.5%", "上涨百分之二点五"),
    ("累计缴费15个月", "累计缴费十五个月"),
    ("3-5个工作日", "三至五个工作日"),
    ("第2位", "第二位"),
    ("请拨打12333", "请拨打幺二三三三"),
    ("手机13900001234", "手机幺三九零零零零幺二三四"),
    ("电话020-12345678", "电话零二零，幺二三四五六七八"),
    ("证件11010519491231002X", "证件幺幺零幺零五幺九四九幺二三幺零零二叉"),
    ("您输入的是：1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 *。", "您输入的是：幺幺零幺零五幺九四九幺二三幺零零二叉。"),
    ("医保和社保卡", "医保和社保卡"),
    ("请在App上办理", "请在应用程序上办理"),
])
def test_numbers_dates_and_codes_read_as_an_agent_would(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_markup_urls_and_emoji_are_dropped_and_nothing_crashes() -> None:
    assert speakable("<b>医保</b>报销 😀 详见 https://si.12333.gov.cn/a?b=1 **请注意**") == "医保 报销 详见 请注意"
    assert speakable("[办事指南](http://x.cn/g)。") == "办事指南。"
    for odd in ("", "   ", "\x00\x01", "😀😀", "<<<>>>", "9" * 400, "1.2.3.4元", "99:99", "2026-13-45", "%%"):
        assert isinstance(speakable(odd), str)


def test_english_text_in_a_mandarin_call_is_left_to_an_english_voice() -> None:
    assert spoken_language("For English, press 9.", "zh") == "en"
    assert speakable("For English, press 9.") == "For English, press 9."
    assert spoken_language("普通话服务请按9。", "en") == "zh"
    assert speakable("Your ID 11010519491231002X", "en") == "Your ID 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 X"


def test_helpers() -> None:
    assert digits_zh("12X*#", phone=False) == "一二叉星井"
    assert money_zh("100.00") == "一百元"
    assert money_zh("0") == "零元"
