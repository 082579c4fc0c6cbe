"""The directory of provincial-level divisions (GB/T 2260 codes) and the national center.

The 31 mainland provincial-level divisions each run a 12333 center; the Xinjiang Production and
Construction Corps (XPCC, 兵团) runs its own social-insurance center under Xinjiang; the national
center (code ``00``) takes overflow and national questions. Hong Kong, Macao and Taiwan have
GB/T 2260 codes but no 12333 center: they are known (an ID number issued there is recognised)
but not routable.
"""

from __future__ import annotations

from dataclasses import dataclass

NATIONAL = "00"
XPCC = "66"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    short: str
    en: str
    has_center: bool = True
    parent: str | None = None


_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("11", "北京市", "北京", "Beijing"),
    ("12", "天津市", "天津", "Tianjin"),
    ("13", "河北省", "河北", "Hebei"),
    ("14", "山西省", "山西", "Shanxi"),
    ("15", "内蒙古自治区", "内蒙古", "Inner Mongolia"),
    ("21", "辽宁省", "辽宁", "Liaoning"),
    ("22", "吉林省", "吉林", "Jilin"),
    ("23", "黑龙江省", "黑龙江", "Heilongjiang"),
    ("31", "上海市", "上海", "Shanghai"),
    ("32", "江苏省", "江苏", "Jiangsu"),
    ("33", "浙江省", "浙江", "Zhejiang"),
    ("34", "安徽省", "安徽", "Anhui"),
    ("35", "福建省", "福建", "Fujian"),
    ("36", "江西省", "江西", "Jiangxi"),
    ("37", "山东省", "山东", "Shandong"),
    ("41", "河南省", "河南", "Henan"),
    ("42", "湖北省", "湖北", "Hubei"),
    ("43", "湖南省", "湖南", "Hunan"),
    ("44", "广东省", "广东", "Guangdong"),
    ("45", "广西壮族自治区", "广西", "Guangxi"),
    ("46", "海南省", "海南", "Hainan"),
    ("50", "重庆市", "重庆", "Chongqing"),
    ("51", "四川省", "四川", "Sichuan"),
    ("52", "贵州省", "贵州", "Guizhou"),
    ("53", "云南省", "云南", "Yunnan"),
    ("54", "西藏自治区", "西藏", "Tibet"),
    ("61", "陕西省", "陕西", "Shaanxi"),
    ("62", "甘肃省", "甘肃", "Gansu"),
    ("63", "青海省", "青海", "Qinghai"),
    ("64", "宁夏回族自治区", "宁夏", "Ningxia"),
    ("65", "新疆维吾尔自治区", "新疆", "Xinjiang"),
)

PROVINCES: dict[str, Province] = {code: Province(code, name, short, en) for code, name, short, en in _ROWS}
XPCC_CENTER = Province(XPCC, "新疆生产建设兵团", "兵团", "Xinjiang Production and Construction Corps",
                       parent="65")
NATIONAL_CENTER = Province(NATIONAL, "全国12333", "全国", "National center")
NON_CENTER_REGIONS: dict[str, Province] = {
    "71": Province("71", "台湾省", "台湾", "Taiwan", has_center=False),
    "81": Province("81", "香港特别行政区", "香港", "Hong Kong", has_center=False),
    "82": Province("82", "澳门特别行政区", "澳门", "Macao", has_center=False),
}

#: Every center this platform can route to: 31 provinces, the XPCC and the national center.
CENTERS: dict[str, Province] = {**PROVINCES, XPCC: XPCC_CENTER, NATIONAL: NATIONAL_CENTER}


def lookup(code: str) -> Province | None:
    """A center or region by its two-digit code."""
    return CENTERS.get(code) or NON_CENTER_REGIONS.get(code)


def name_of(code: str | None, lang: str = "zh") -> str:
    p = lookup(code or "")
    if p is None:
        return code or ""
    return p.en if lang == "en" else p.name


def code_for_name(text: str) -> str | None:
    """The province code whose full or short name starts `text` (e.g. '广东省广州市' → '44')."""
    for prov in sorted(PROVINCES.values(), key=lambda p: -len(p.short)):
        if text.startswith(prov.name) or text.startswith(prov.short):
            return prov.code
    for prov in NON_CENTER_REGIONS.values():
        if text.startswith(prov.short):
            return prov.code
    return None
