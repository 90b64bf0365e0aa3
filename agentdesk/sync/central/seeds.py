"""Seed storage at the centre (:mod:`agentdesk.sync.seed` builds and installs seeds):
a ready desk database file of the customers, phones and lookup keys, kept in chunks."""

from __future__ import annotations

import sqlalchemy as sa

from agentdesk.core.i18n import t
from agentdesk.core.ids import new_id
from agentdesk.sync.central.connection import CentralBase, CentralError
from agentdesk.sync.central.schema import T


class SeedStorage(CentralBase):
    """A seed's chunks: begin, put, finish, drop; the latest complete seed; one chunk."""

    def seed_begin(self, seq_hi: int, schema_rev: str, keys_version: str, customers: int,
                   chunk_size: int) -> str:
        seed_id = new_id()
        with self.guard(), self.engine.begin() as conn:
            conn.execute(T["desk_seed"].insert(), {
                "id": seed_id, "seq_hi": seq_hi, "schema_rev": schema_rev,
                "keys_version": keys_version, "customers": customers,
                "chunk_size": chunk_size})
        return seed_id

    def seed_put(self, seed_id: str, n: int, sha256: str, data: bytes) -> None:
        with self.guard(), self.engine.begin() as conn:
            conn.execute(T["desk_seed_chunk"].insert(),
                         {"seed_id": seed_id, "n": n, "sha256": sha256, "data": data})

    def seed_finish(self, seed_id: str, size: int, chunks: int) -> None:
        """The seed is complete: new desks take it, and the complete seeds made before it
        go (a build still running beside this one is left alone: it finishes later)."""
        seed, chunk = T["desk_seed"], T["desk_seed_chunk"]
        with self.guard(), self.engine.begin() as conn:
            done = conn.execute(seed.update().where(seed.c.id == seed_id).values(
                size=size, chunks=chunks, complete=True)).rowcount
            if done != 1:
                raise CentralError(t("msg.sync.central.seeds.central_store_seed_was",
                                     shown=self.shown, seed_id=seed_id))
            # Ids are uuid7: their order is the order the builds began (made_at has only
            # whole seconds on SQLite).
            older = sa.select(seed.c.id).where(seed.c.id < seed_id, seed.c.complete == sa.true())
            conn.execute(chunk.delete().where(chunk.c.seed_id.in_(older)))
            conn.execute(seed.delete().where(seed.c.id.in_(older)))

    def seed_drop(self, seed_id: str) -> None:
        """An unfinished seed's chunks (a build that failed)."""
        with self.guard(), self.engine.begin() as conn:
            conn.execute(T["desk_seed_chunk"].delete().where(
                T["desk_seed_chunk"].c.seed_id == seed_id))
            conn.execute(T["desk_seed"].delete().where(T["desk_seed"].c.id == seed_id))

    def seed_latest(self) -> dict | None:
        seed = T["desk_seed"]
        with self.reading() as conn:
            row = conn.execute(sa.select(seed).where(seed.c.complete == sa.true())
                               .order_by(seed.c.id.desc()).limit(1)).mappings().first()
            return dict(row) if row else None

    def seed_chunk(self, seed_id: str, n: int) -> tuple[str, bytes] | None:
        chunk = T["desk_seed_chunk"]
        with self.reading() as conn:
            if self.dialect == "postgresql":
                # Binary results: bytea as text is hex, twice the bytes and a decode
                # (measured: 113 ms per 8 MB chunk as text, 15 ms binary).
                raw = conn.connection.dbapi_connection
                with raw.cursor(binary=True) as cur:
                    cur.execute("SELECT sha256, data FROM desk_seed_chunk WHERE "
                                "seed_id = %s AND n = %s", (seed_id, n))
                    row = cur.fetchone()
                raw.rollback()
            else:
                row = conn.execute(sa.select(chunk.c.sha256, chunk.c.data).where(
                    chunk.c.seed_id == seed_id, chunk.c.n == n)).first()
            return (row[0], bytes(row[1])) if row else None

