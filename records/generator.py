"""Builds the demo insurance core database: a few thousand synthetic insured persons (seeded, so the
same `as_of` month and seed give the same data) plus the fixed demo citizens of `demo_citizens`.

This writes through its own engine: it plays the part of the core system's owner. The platform
itself only ever reads the result, through `records.connector.ReadOnlyCore`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import Engine, make_url

from core import provinces
from core.citizen_id import check_digit
from records import core_schema as cs
from records.demo_citizens import DEMO_CITIZENS, DemoCitizen

SCHEMA_VERSION = "1"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅海波鹏辉斌宇浩凯欣怡佳琳雪晨"
CITIES = {"11": "北京市", "12": "天津市", "31": "上海市", "32": "南京市", "33": "杭州市", "37": "济南市",
          "41": "郑州市", "42": "武汉市", "43": "长沙市", "44": "广州市", "50": "重庆市", "51": "成都市",
          "61": "西安市", "21": "沈阳市", "35": "福州市"}
HOSPITALS = ("市第一人民医院", "中医医院", "社区卫生服务中心", "妇幼保健院", "大学附属医院", "区人民医院")
INDUSTRY = ("科技", "建设", "物流", "商贸", "食品", "机械", "医药", "电子", "服务", "纺织")


def writable_engine(url: str) -> Engine:
    from core.files import private_sqlite

    private_sqlite(url)  # the demo core database holds personal data: 0600
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)


def existing_persons(engine: Engine) -> int | None:
    """Persons in an existing demo core database of the current schema version, else None."""
    if not inspect(engine).has_table("core_meta"):
        return None
    with engine.connect() as conn:
        meta = dict(conn.execute(select(cs.core_meta.c.key, cs.core_meta.c.value)).tuples().all())
    if meta.get("schema_version") != SCHEMA_VERSION:
        return None
    return int(meta.get("persons", "0"))


def months_back(as_of: date, n: int) -> list[str]:
    """The `n` months ending with `as_of`'s month, oldest first, as 'YYYY-MM'."""
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


class _Builder:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in cs.metadata.tables}
        self.employers: dict[str, list[int]] = {}
        self.next_ids = {"contribution": 1, "medical_settlement": 1, "pension_payment": 1}

    def _id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def employer_for(self, province: str) -> int:
        ids = self.employers.setdefault(province, [])
        if len(ids) < 8:
            eid = len(self.rows["employer"]) + 1
            city = CITIES.get(province, provinces.name_of(province))
            name = f"{city.rstrip('市')}{self.rng.choice(INDUSTRY)}{self.rng.choice('华信达通恒盛')}有限公司"
            code = "91" + province + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(14))
            self.rows["employer"].append({"employer_id": eid, "name": name, "credit_code": code,
                                          "province_code": province, "city_name": city})
            ids.append(eid)
            return eid
        return self.rng.choice(ids)

    def add_person(self, pid: int, id_number: str, name: str, mobile: str, province: str, city: str,
                   status: str, injury: bool = False) -> None:
        rng = self.rng
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        sex = "M" if int(id_number[16]) % 2 else "F"
        employer = self.employer_for(province) if status in ("active", "unemployed", "suspended") else None
        start_year = max(birth.year + 20, 1992)
        self.rows["insured_person"].append({
            "person_id": pid, "id_number": id_number, "name": name, "sex": sex,
            "birth_date": birth.isoformat(), "mobile": mobile, "province_code": province, "city_name": city,
            "status": status, "employer_id": employer if status == "active" else None,
            "insured_since": f"{start_year}-{rng.randint(1, 12):02d}"})
        recent = months_back(self.as_of, 24)
        if status == "active":
            paid_months = recent
        elif status in ("unemployed", "suspended"):
            paid_months = recent[: rng.randint(6, 18)]
        else:
            paid_months = []
        base = rng.randrange(4000, 30000, 100) * 100
        for i, month in enumerate(paid_months):
            arrears = status == "active" and i == len(paid_months) - 1 and rng.random() < 0.05
            self.rows["contribution"].append({
                "contribution_id": self._id("contribution"), "person_id": pid, "month": month,
                "employer_id": employer, "base_fen": base, "pension_fen": base * 24 // 100,
                "medical_fen": base * 10 // 100, "unemployment_fen": base * 1 // 100, "paid": 0 if arrears else 1})
        total_months = min(max((self.as_of.year - start_year) * 12, 12), 480)
        if status == "retired":
            retire_year = birth.year + (60 if sex == "M" else 55)
            total_months = min(max((retire_year - start_year) * 12, 180), 480)
        last = paid_months[-1] if paid_months else f"{min(birth.year + 60, self.as_of.year - 1)}-12"
        self.rows["pension_account"].append({
            "person_id": pid, "contribution_months": total_months,
            "balance_fen": total_months * base * 8 // 100 + rng.randint(0, 99), "last_contribution_month": last,
            "employer_id": employer})
        self.rows["medical_account"].append({"person_id": pid, "balance_fen": rng.randint(0, 1_500_000)})
        for _ in range(rng.randint(0, 4)):
            total = rng.randint(5_000, 2_000_000)
            fund = total * rng.randint(50, 90) // 100
            day = self.as_of - timedelta(days=rng.randint(1, 720))
            self.rows["medical_settlement"].append({
                "settlement_id": self._id("medical_settlement"), "person_id": pid, "settled_on": day.isoformat(),
                "hospital": city.rstrip("市") + rng.choice(HOSPITALS), "total_fen": total,
                "fund_paid_fen": fund, "self_paid_fen": total - fund})
        receiving = status == "unemployed"
        self.rows["unemployment_status"].append({
            "person_id": pid, "status": "receiving" if receiving else "none",
            "benefit_monthly_fen": rng.randrange(180000, 260000, 100) if receiving else 0,
            "months_entitled": 12 if receiving else 0, "months_paid": rng.randint(1, 6) if receiving else 0,
            "start_month": months_back(self.as_of, 6)[0] if receiving else None})
        self.rows["injury_status"].append({
            "person_id": pid, "status": "recognised" if injury else "none",
            "injury_date": (self.as_of - timedelta(days=400)).isoformat() if injury else None,
            "disability_grade": 7 if injury else None, "monthly_allowance_fen": 280000 if injury else 0})
        if status == "retired":
            amount = rng.randrange(250000, 900000, 100)
            for month in months_back(self.as_of, 13)[:-1]:  # paid on the 15th: up to last month
                self.rows["pension_payment"].append({
                    "payment_id": self._id("pension_payment"), "person_id": pid, "month": month,
                    "amount_fen": amount, "paid_on": f"{month}-15", "bank_account_tail": f"{pid * 37 % 10000:04d}"})

    def random_person(self, pid: int, taken: set[str]) -> None:
        rng = self.rng
        province = rng.choice(list(CITIES))
        while True:
            birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 54 * 365))
            first17 = f"{province}01{rng.randint(1, 9):02d}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
            id_number = first17 + check_digit(first17)
            if id_number not in taken:
                taken.add(id_number)
                break
        age = self.as_of.year - birth.year
        retire_age = 60 if int(id_number[16]) % 2 else 55
        status = "retired" if age >= retire_age else rng.choices(("active", "unemployed", "suspended"), (90, 6, 4))[0]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        prefix = rng.choice(("139", "138", "137", "136", "158", "159", "186", "188"))
        mobile = prefix + f"{rng.randint(0, 10**8 - 1):08d}"
        self.add_person(pid, id_number, name, mobile, province, CITIES[province], status,
                        injury=status == "active" and rng.random() < 0.02)

    def fixed_person(self, pid: int, c: DemoCitizen) -> None:
        self.add_person(pid, c.id_number, c.name, c.mobile, c.province, c.city, c.status, injury=c.injury)


def build(url: str, *, persons: int = 3000, seed: int = 12333, as_of: date, force: bool = False) -> tuple[int, bool]:
    """Create and fill the demo core database at `url` unless it already exists.

    Returns (persons in the database, whether it was generated now). `persons` counts synthetic
    persons in addition to the fixed demo citizens.
    """
    engine = writable_engine(url)
    try:
        if not force:
            existing = existing_persons(engine)
            if existing is not None:
                return existing, False
        builder = _Builder(seed, as_of)
        taken = {c.id_number for c in DEMO_CITIZENS}
        for pid, citizen in enumerate(DEMO_CITIZENS, start=1):
            builder.fixed_person(pid, citizen)
        for pid in range(len(DEMO_CITIZENS) + 1, len(DEMO_CITIZENS) + persons + 1):
            builder.random_person(pid, taken)
        total = len(DEMO_CITIZENS) + persons
        builder.rows["core_meta"] = [
            {"key": "schema_version", "value": SCHEMA_VERSION}, {"key": "persons", "value": str(total)},
            {"key": "seed", "value": str(seed)}, {"key": "as_of", "value": as_of.isoformat()}]
        cs.metadata.drop_all(engine)
        cs.metadata.create_all(engine)
        with engine.begin() as conn:
            for table in cs.metadata.sorted_tables:
                rows = builder.rows[table.name]
                for start in range(0, len(rows), 5000):
                    conn.execute(table.insert(), rows[start:start + 5000])
        return total, True
    finally:
        engine.dispose()
