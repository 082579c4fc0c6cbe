"""The schema of the demo insurance core system: someone else's database, which the platform only
reads. Kept apart from `core.db.Base` (it is not the platform's schema and has no migrations here).

Money is stored in fen (integer cents); months as 'YYYY-MM' text; dates as ISO 'YYYY-MM-DD' text.
The platform reaches these tables only through the queries in `records/mapping.yaml`.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table

metadata = MetaData()

employer = Table(
    "employer", metadata,
    Column("employer_id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("credit_code", String(18), nullable=False),  # 统一社会信用代码
    Column("province_code", String(2), nullable=False),
    Column("city_name", String(40), nullable=False),
)

insured_person = Table(
    "insured_person", metadata,
    Column("person_id", Integer, primary_key=True),
    Column("id_number", String(18), nullable=False, unique=True),
    Column("name", String(40), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", String(10), nullable=False),
    Column("mobile", String(11)),
    Column("province_code", String(2), nullable=False),  # where the person is insured
    Column("city_name", String(40), nullable=False),
    # active | retired | unemployed | suspended
    Column("status", String(12), nullable=False),
    Column("employer_id", Integer, ForeignKey("employer.employer_id")),
    Column("insured_since", String(7), nullable=False),
)

pension_account = Table(
    "pension_account", metadata,
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), primary_key=True),
    Column("contribution_months", Integer, nullable=False),
    Column("balance_fen", Integer, nullable=False),
    Column("last_contribution_month", String(7)),
    Column("employer_id", Integer, ForeignKey("employer.employer_id")),
)

medical_account = Table(
    "medical_account", metadata,
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), primary_key=True),
    Column("balance_fen", Integer, nullable=False),
)

medical_settlement = Table(
    "medical_settlement", metadata,
    Column("settlement_id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), nullable=False),
    Column("settled_on", String(10), nullable=False),
    Column("hospital", String(60), nullable=False),
    Column("total_fen", Integer, nullable=False),
    Column("fund_paid_fen", Integer, nullable=False),
    Column("self_paid_fen", Integer, nullable=False),
    Index("ix_medical_settlement_person", "person_id", "settled_on"),
)

unemployment_status = Table(
    "unemployment_status", metadata,
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), primary_key=True),
    Column("status", String(12), nullable=False),  # none | receiving | ended
    Column("benefit_monthly_fen", Integer, nullable=False),
    Column("months_entitled", Integer, nullable=False),
    Column("months_paid", Integer, nullable=False),
    Column("start_month", String(7)),
)

injury_status = Table(
    "injury_status", metadata,
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), primary_key=True),
    Column("status", String(12), nullable=False),  # none | assessing | recognised | closed
    Column("injury_date", String(10)),
    Column("disability_grade", Integer),  # 1..10, NULL when not assessed
    Column("monthly_allowance_fen", Integer, nullable=False),
)

contribution = Table(
    "contribution", metadata,
    Column("contribution_id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("employer_id", Integer, ForeignKey("employer.employer_id")),
    Column("base_fen", Integer, nullable=False),
    Column("pension_fen", Integer, nullable=False),  # personal + employer, pension
    Column("medical_fen", Integer, nullable=False),
    Column("unemployment_fen", Integer, nullable=False),
    Column("paid", Integer, nullable=False),  # 1 paid, 0 arrears
    Index("ix_contribution_person_month", "person_id", "month"),
)

pension_payment = Table(
    "pension_payment", metadata,
    Column("payment_id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("insured_person.person_id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("paid_on", String(10), nullable=False),
    Column("bank_account_tail", String(4), nullable=False),
    Index("ix_pension_payment_person_month", "person_id", "month"),
)

core_meta = Table(
    "core_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)
