"""The fixed demo citizens of the demo core database (listed in docs/records.md and the README)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoCitizen:
    id_number: str
    name: str
    password: str | None  # None: no service password yet, SMS code only
    mobile: str
    province: str
    city: str
    status: str  # active | retired | unemployed
    scenario: str
    injury: bool = False


DEMO_CITIZENS: tuple[DemoCitizen, ...] = (
    DemoCitizen("11010519491231002X", "李秀兰", "246810", "13900001234", "11", "北京市", "retired",
                "北京退休人员，按月领取养老金（文档中的演示市民）"),
    DemoCitizen("44010619880315003X", "陈志强", "135790", "13901001234", "44", "广州市", "active",
                "在广东参保的在职职工，手机号归属北京"),
    DemoCitizen("510107199002024411", "刘洋", "802461", "13800005678", "51", "成都市", "unemployed",
                "四川失业人员，正在领取失业保险金"),
    DemoCitizen("320102198507074412", "赵建国", "975312", "13700009876", "32", "南京市", "active",
                "江苏在职职工，工伤已认定（伤残七级）", injury=True),
    DemoCitizen("440305199205182022", "周丽", "159260", "13612345678", "44", "深圳市", "active",
                "锁定演示：连续输错5次密码后自助查询被锁定"),
    DemoCitizen("310104197809091230", "孙伟", None, "15900002468", "31", "上海市", "active",
                "尚未设置查询密码，只能用短信验证码验证"),
)

BY_ID = {c.id_number: c for c in DEMO_CITIZENS}
