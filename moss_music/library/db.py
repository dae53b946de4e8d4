"""Engine set-up and migrations.

SQLite is shared by the app and worker processes, so: WAL (readers never block
the writer), a long busy timeout, and write transactions that take the write
lock up front (``BEGIN IMMEDIATE``) — a deferred transaction that reads and
then writes fails with "database is locked" whatever the timeout.
"""

from __future__ import annotations

import logging
from pathlib import Path

# Alembic logs plugin set-up on import and each migration step at INFO: for the log, never the console.
logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command  # noqa: E402 - after quieting its logger
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Engine, create_engine, event, inspect  # noqa: E402

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000


def _head_revision() -> str:
    """The newest revision in ``migrations/versions``: a new migration file is all it takes to move it."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


HEAD_REVISION = _head_revision()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event instead of the sqlite3 module's guesses.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite_transaction(connection) -> None:
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (the newest by default); a no-op on an up-to-date database."""
    if revision in ("head", HEAD_REVISION):
        with engine.connect() as connection:
            if _current_revision(connection) == HEAD_REVISION:
                return
    _run_alembic(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` ("base": empty). For tests and undoing an upgrade by hand."""
    _run_alembic(engine, command.downgrade, revision)


def _run_alembic(engine: Engine, step, revision: str) -> None:
    # One transaction on the library's own engine (its SQLite pragmas apply), not alembic's own connection.
    with engine.begin() as connection:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        step(config, revision)


def _current_revision(connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
