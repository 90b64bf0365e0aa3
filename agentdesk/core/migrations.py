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

from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Every revision this code knows, oldest first; the last is the head (a test checks it
# equals Alembic's own head).
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
             "0010", "0011", "0012", "0013", "0014", "0015", "0016")
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
        raise StoreError(t("msg.core.migrations.the_schema_scripts_are", value=path or engine.url,
                           SCRIPTS=SCRIPTS))
    if version is not None and version not in REVISIONS:
        raise StoreError(
            t("msg.core.migrations.schema_version_is_newer", value=path or engine.url,
              version=version, HEAD=HEAD)
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
        raise StoreError(t("msg.core.migrations.not_an_agentdesk_database", path=path))
    if version != HEAD:
        raise StoreError(
            t("msg.core.migrations.schema_version_this_agentdesk", path=path, version=version,
              HEAD=HEAD)
        )
