"""Demo agents: about 100 console users with agent profiles over ten centers, plus profiles for the
core demo users `agent` (北京), `agent-gd` (广东) and `agent-sc` (四川). Idempotent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agents.api import AgentsHost
from agents.models import Agent
from core.accounts import DEMO_PASSWORD, hash_password
from core.models import User
from core.provinces import CENTERS

#: center code -> username prefix; ten agents each
DEMO_CENTERS = {"11": "bj", "44": "gd", "51": "sc", "31": "sh", "32": "js", "33": "zj", "37": "sd",
                "41": "ha", "42": "hb", "00": "qg"}
PER_CENTER = 10
SKILL_SETS = (
    ("pension", "general"), ("medical", "general"), ("employment", "labour"), ("injury_maternity", "medical"),
    ("card", "general"), ("pension", "medical"), ("labour", "general"), ("employment", "general"),
    ("card", "pension"), ("general", "pension", "medical", "employment", "injury_maternity", "labour", "card"),
)
CORE_AGENTS = {"agent": "11", "agent-gd": "44", "agent-sc": "51"}


def _languages(center: str, i: int) -> list[str]:
    if center == "44" and i % 3 == 0:
        return ["zh", "yue"]
    if center == "00" and i % 5 == 0:
        return ["zh", "en"]
    return ["zh"]


def _profile(user_id: int, name: str, center: str, i: int, now: Any) -> Agent:
    return Agent(user_id=user_id, name=name, center_code=center, skills=list(SKILL_SETS[i % len(SKILL_SETS)]),
                 languages=_languages(center, i), level=1 + i % 3, endpoint="", active=True, created_at=now)


def load_demo(platform: AgentsHost) -> str:
    missing = [code for code in DEMO_CENTERS if platform.acd_directory.center(code) is None]
    if missing:  # the switch's demo (loaded first by `hotline demo`) creates the centers
        raise RuntimeError(f"agents demo: no center {', '.join(missing)} in the directory; load the switch's demo"
                           " first")
    now = platform.clock.now()
    created_users = created_agents = 0
    password_hash: str | None = None
    with platform.db.session() as s:
        users = {u.username: u for u in s.execute(select(User)).scalars()}
        has_agent = set(s.execute(select(Agent.user_id)).scalars())
        new_agents: list[Agent] = []
        for center, prefix in DEMO_CENTERS.items():
            for i in range(1, PER_CENTER + 1):
                username = f"{prefix}-agent-{i:02d}"
                user = users.get(username)
                if user is None:
                    password_hash = password_hash or hash_password(DEMO_PASSWORD)
                    user = User(username=username, display_name=f"坐席 {CENTERS[center].short}{i:02d}",
                                password_hash=password_hash, roles="agent", province_scope=center,
                                is_demo=True, created_at=now)
                    s.add(user)
                    s.flush()
                    created_users += 1
                if user.id not in has_agent:
                    new_agents.append(_profile(user.id, user.display_name, center, i, now))
        for username, center in CORE_AGENTS.items():
            user = users.get(username)
            if user is not None and user.id not in has_agent:
                new_agents.append(_profile(user.id, user.display_name, center, 9, now))
        s.add_all(new_agents)
        s.flush()
        for i, agent in enumerate(new_agents):
            agent.endpoint = f"PJSIP/agent-{agent.id}" if i % 2 == 0 else f"client:agent-{agent.id}"
        created_agents = len(new_agents)
        total = s.execute(select(Agent.id)).all()
    return (f"agents: {len(total)} profiles ({created_agents} new, {created_users} new users) over "
            f"{len(DEMO_CENTERS)} centers, password {DEMO_PASSWORD!r}")
