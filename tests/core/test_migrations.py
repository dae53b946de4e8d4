"""The migrations folder is one linear chain whose newest file is the head the library checks for."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from moss_music.library.db import HEAD_REVISION, MIGRATIONS_DIR, downgrade, make_engine, migrate


def test_every_migration_file_is_on_one_chain_that_ends_at_the_head():
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    chain = [revision.revision for revision in script.walk_revisions()]  # newest first
    files = sorted(path.stem for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    assert len(chain) == len(files) and chain[0] == HEAD_REVISION
    assert [file.split("_")[0] for file in files] == sorted(chain), "file names carry their revision id"


def test_upgrade_downgrade_upgrade_round_trips(tmp_path):
    url = f"sqlite:///{tmp_path / 'library.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    downgrade(engine, "base")
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["alembic_version"]
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD_REVISION
        assert {"key_pitch_class", "key_mode"} <= {column["name"] for column in inspect(connection).get_columns("tracks")}
    engine.dispose()
