"""The keyword commands moved from the gateway's `sms_keywords` to the channel's `smschat_keywords`
(issue 17): a database made before the split keeps its edited keywords, and a downgrade brings them
back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from core.db import alembic_config
from hotline.homes import migration_dirs

ROW = {"keyword": "ZC", "action": "password_help", "reply": "政策咨询请拨打12333。", "description": "", "enabled": True}
INSERT = ("INSERT INTO {table} (keyword, action, reply, description, enabled) "
          "VALUES (:keyword, :action, :reply, :description, :enabled)")


def test_keywords_survive_the_move_and_the_way_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before-split.db'}"
    cfg = alembic_config(url, locations=migration_dirs())
    command.upgrade(cfg, "sms_0001")  # a database from before the split
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(INSERT.format(table="sms_keywords")), ROW)
    command.upgrade(cfg, "heads")
    tables = set(inspect(engine).get_table_names())
    assert "sms_keywords" not in tables and "smschat_keywords" in tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT keyword, reply FROM smschat_keywords")).all() == [("ZC", ROW["reply"])]
    command.downgrade(cfg, "sms_0001")  # sms_0002 first (it depends on smschat_0001): the table is back, empty
    command.downgrade(cfg, "smschat@base")  # ... and the channel's copy returns into it
    tables = set(inspect(engine).get_table_names())
    assert "smschat_keywords" not in tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT keyword, reply FROM sms_keywords")).all() == [("ZC", ROW["reply"])]
    engine.dispose()
