"""Schema versions: Alembic scripts live in ``db/migrations`` (the checkout's ``db/``
folder, not an installed package: agentdesk runs from its checkout, as ``make run``
installs it); this module runs them.

Alembic is imported only when the schema is behind, so a desk that is up to date opens
without paying for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Every revision this code knows, oldest first; the last is the head (a test checks it
# equals Alembic's own head).
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
             "0010", "0011", "0012", "0013", "0014", "0015")
HEAD = REVISIONS[-1]
SCRIPTS = Path(__file__).resolve().parents[2] / "db" / "migrations"


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def alembic_config(engine: sa.Engine | None = None) -> AlembicConfig:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(False))
    return config


def upgrade(engine: sa.Engine, path: Path | None = None, target: str = "head") -> None:
    from agentdesk.core.errors import StoreError

    version = current(engine)
    if version == HEAD and target == "head":
        return
    if not SCRIPTS.is_dir():
        raise StoreError(f"{path or engine.url}: the schema scripts are missing ({SCRIPTS}); "
                         "agentdesk runs from its checkout (make run installs it so)")
    if version is not None and version not in REVISIONS:
        raise StoreError(
            f"{path or engine.url}: schema version {version!r} is newer than this agentdesk "
            f"knows (newest {HEAD!r}). Upgrade agentdesk."
        )
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def check_current(engine: sa.Engine, path: Path) -> None:
    """Read-only opens cannot migrate: refuse a database that is not at our version."""
    from agentdesk.core.errors import StoreError

    version = current(engine)
    if version is None:
        raise StoreError(f"{path}: not an agentdesk database (no schema version)")
    if version != HEAD:
        raise StoreError(
            f"{path}: schema version {version!r}, this agentdesk needs {HEAD!r}; open it once "
            "with the desk (agentdesk --db PATH) to migrate it."
        )
