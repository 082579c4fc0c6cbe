"""The queue definitions moved from the switch's `switch_queues` to the ACD's `acd_queues` (issue 17):
a database made before the move keeps its queues (an edited maximum wait included), and a downgrade
brings them back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect, text

from core.db import alembic_config
from hotline.homes import migration_dirs

CENTER = ("INSERT INTO switch_centers (code, name, mode, capacity, weekly_hours, overflow, emergency_closed, "
          "emergency_text, updated_at) VALUES ('44', '广东省12333', 'local', 200, '{}', '[]', 0, '', "
          "'2026-12-01 00:00:00')")
QUEUE = ("INSERT INTO switch_queues (id, center_code, topic, skills, max_wait, overflow_action) "
         "VALUES ('44-pension', '44', 'pension', '[\"pension\"]', 420, 'queue:00-pension')")
SELECT = "SELECT id, center_code, topic, max_wait, overflow_action FROM {table}"
ROW = ("44-pension", "44", "pension", 420, "queue:00-pension")


def _moved(path: Path) -> tuple[Config, Engine]:
    """A database from before the move, with one center and a changed queue, migrated to the heads."""
    cfg = alembic_config(f"sqlite:///{path}", locations=migration_dirs())
    command.upgrade(cfg, "switch_0002")
    command.upgrade(cfg, "agents_0005")
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text(CENTER))
        conn.execute(text(QUEUE))
    command.upgrade(cfg, "heads")
    return cfg, engine


def test_queues_survive_the_move_and_the_way_back(tmp_path: Path) -> None:
    cfg, engine = _moved(tmp_path / "before-move.db")
    tables = set(inspect(engine).get_table_names())
    assert "switch_queues" not in tables and "acd_queues" in tables
    with engine.connect() as conn:
        assert conn.execute(text(SELECT.format(table="acd_queues"))).all() == [ROW]
    command.downgrade(cfg, "switch_0002")  # switch_0003 first: the table is back, with the ACD's rows
    with engine.connect() as conn:
        assert conn.execute(text(SELECT.format(table="switch_queues"))).all() == [ROW]
    command.downgrade(cfg, "agents_0005")  # ... and the ACD's copy goes without doubling them
    tables = set(inspect(engine).get_table_names())
    assert "acd_queues" not in tables
    with engine.connect() as conn:
        assert conn.execute(text(SELECT.format(table="switch_queues"))).all() == [ROW]
    engine.dispose()


def test_downgrading_the_acd_first_restores_the_rows_too(tmp_path: Path) -> None:
    cfg, engine = _moved(tmp_path / "acd-first.db")
    command.downgrade(cfg, "agents_0005")  # takes switch_0003 down with it (it depends on agents_0006)
    tables = set(inspect(engine).get_table_names())
    assert "acd_queues" not in tables and "switch_queues" in tables
    with engine.connect() as conn:
        assert conn.execute(text(SELECT.format(table="switch_queues"))).all() == [ROW]
    engine.dispose()
