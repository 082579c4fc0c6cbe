"""Database engine, sessions and schema migrations (SQLAlchemy 2.0, Alembic).

SQLite (the embedded default) and PostgreSQL share the same models and migrations.
Each home owns its tables and its migrations (`<home>/migrations/`), one Alembic branch each; the
composition root (`hotline/homes.py`) imports the homes' models and passes their migration folders in.
The core knows no home.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, MetaData, Table, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core import fastjson

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROOT = Path(__file__).resolve().parent.parent


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Table a declarative model maps (SQLAlchemy types `__table__` as any FromClause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a Table")
    return table


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs: object) -> Engine:
    kwargs.setdefault("json_serializer", fastjson.dumps)  # JSON columns (call log, routing, events)
    kwargs.setdefault("json_deserializer", fastjson.loads)
    if url.startswith("sqlite"):
        from core.files import private_sqlite

        private_sqlite(url)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)  # type: ignore[arg-type]

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)  # type: ignore[arg-type]


class Database:
    """An engine plus its session factory."""

    def __init__(self, url: str, **engine_kwargs: object) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self, locations: Iterable[Path | str] = ()) -> None:
        """Create or migrate the schema to the newest revision of every branch: the core's and those in
        `locations` (the homes' migration folders, given by the composition root)."""
        from alembic import command

        command.upgrade(alembic_config(self.url, self.engine, locations=locations), "heads")

    def dispose(self) -> None:
        self.engine.dispose()


CORE_VERSIONS = ROOT / "core" / "migrations" / "versions"


def alembic_config(url: str, engine: Engine | None = None, *,  # type: ignore[no-untyped-def]
                   locations: Iterable[Path | str] = ()):
    """Alembic's config: the core's branch plus the branches in `locations` (folders of revisions)."""
    from alembic.config import Config

    folders = [str(CORE_VERSIONS)]
    folders += [str(f) for f in locations if str(f) not in folders]
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "core" / "migrations"))
    cfg.set_main_option("version_locations", " ".join(folders))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg
