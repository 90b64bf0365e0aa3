"""The centre's bulk reads (a pull, a seed's copy, a partial desk's lookup) go through the
driver's own cursor (``Central.fetch``), past SQLAlchemy. A connection lost under them
must still be said as the centre being unreachable (so the sync retries or waits, as for
every other read), and the lost connection must leave the pool: the next read works.
Needs PostgreSQL (the test server); says so when it is absent."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from agentdesk.sync import central
from agentdesk.sync.central.connection import CentralUnavailable
from tests.sync_helpers import PG_ADMIN, PgDatabase, require_pg

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg() -> Iterator[central.Central]:
    require_pg()
    db = PgDatabase()
    centre = central.connect(db.url, pool_size=1)
    centre.init_schema()
    yield centre
    centre.dispose()
    db.drop()


def test_a_connection_lost_under_a_driver_read_is_unreachable_and_leaves_the_pool(
        pg, caplog) -> None:
    with pytest.raises(CentralUnavailable, match="connection lost"):
        with pg.reading() as conn:
            raw = conn.connection.dbapi_connection
            pid = pg.fetch(raw, "SELECT pg_backend_pid()")[0][0]
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            pg.fetch(raw, "SELECT 1")
    # the dead connection was dropped, not handed back to the pool to fail its reset
    assert not [r for r in caplog.records if r.name.startswith("sqlalchemy.pool")
                and r.levelname == "ERROR"], caplog.text
    # the pool holds one connection: a new one answers
    assert pg.pull(0, 10) == []
    with pg.reading() as conn:
        raw = conn.connection.dbapi_connection
        assert pg.fetch(raw, "SELECT pg_backend_pid()")[0][0] != pid


def test_a_driver_error_that_is_not_the_link_is_said_as_the_centres_error(pg) -> None:
    with pytest.raises(central.CentralError) as caught:
        with pg.reading() as conn:
            pg.fetch(conn.connection.dbapi_connection, "SELECT * FROM no_such_table")
    assert not isinstance(caught.value, CentralUnavailable)
    assert pg.pull(0, 10) == []  # the connection is fine and back in the pool
