"""Dates and times as a Chinese reader expects them in an SMS or on a screen: `12月7日上午10:00`."""

from __future__ import annotations

from datetime import date, datetime


def zh_period(hour: int) -> str:
    if hour < 6:
        return "凌晨"
    if hour < 12:
        return "上午"
    if hour < 13:
        return "中午"
    if hour < 18:
        return "下午"
    return "晚上"


def zh_datetime(moment: datetime, today: date | None = None) -> str:
    """`12月7日上午10:00`, `下午2:30` on a 12-hour clock; the year is said when it is not this year."""
    hour12 = moment.hour if moment.hour <= 12 else moment.hour - 12
    year = f"{moment.year}年" if today is not None and moment.year != today.year else ""
    return f"{year}{moment.month}月{moment.day}日{zh_period(moment.hour)}{hour12}:{moment.minute:02d}"


def parse_local(text: str) -> datetime:
    """A date-time typed in a form (`2026-12-07T10:00`, `2026-12-07 10:00`); ValueError otherwise."""
    return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
