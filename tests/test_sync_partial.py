"""Partial desks (issue 21, item 4): a desk keeps only its districts' customers, asks the
centre for the rest by the same lookup rules, caches the one it opens; a scope that grows
fetches the new districts. Every test runs against a SQLite centre and PostgreSQL
(skipped, with the reason, when PostgreSQL is not there; see tests/sync_helpers.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.sync_helpers import desk_rows, new_desk


def _load(centre) -> dict[str, str]:
    """Customers in three districts at the centre: account -> id."""
    from agentdesk.core.models import Customer
    from agentdesk.sync import codec

    rows, phones = [], {}
    people = [("岳麓区", "张伟", "13800000001"), ("岳麓区", "李娜", "13800000002"),
              ("天心区", "王芳", "13900001122"), ("天心区", "张伟", "13900003344"),
              ("雨花区", "赵强", "13700005566")]
    for n, (district, name, phone) in enumerate(people):
        c = Customer(account_no=f"WX{n:05d}", name=name, utility="water", district=district,
                     street="桃子湖街道", community="桃子湖小区", building=f"{n + 1}栋",
                     unit="1单元", room="101室", meter_no=f"M{n:06d}")
        rows.append(codec.to_python("customer", codec.row_of(c)))
        phones[c.id] = [{"id": str(uuid.uuid4()), "customer_id": c.id, "e164": f"+86{phone}",
                         "kind": "mobile", "position": 0}]
    centre.upsert_rows("customer", rows, phones)
    return {r["account_no"]: r["id"] for r in rows}


def _districts(desk) -> list[str]:
    return [r[0] for r in desk_rows(desk, "SELECT DISTINCT district FROM customer "
                                          "ORDER BY district")]


def test_a_partial_desk_keeps_only_its_districts(tmp_path: Path, centre) -> None:
    from agentdesk.sync import engine

    ids = _load(centre)
    desk = new_desk(tmp_path / "desk.db")
    try:
        engine.sync_once(desk, centre, scope=("岳麓区",), seed=True)
        assert _districts(desk) == ["岳麓区"]
        # phones and lookup keys came (computed here) for the kept customers only
        assert desk_rows(desk, "SELECT count(*) FROM customer_phone") == [(2,)]
        kept = {r[0] for r in desk_rows(
            desk, "SELECT DISTINCT key_id(customer_id) FROM customer_key")}
        assert kept == {ids["WX00000"], ids["WX00001"]}
        # a later centre change to another district's customer does not come here
        with centre.reading() as conn:
            from agentdesk.sync.central import T

            row = dict(conn.execute(T["customer"].select().where(
                T["customer"].c.account_no == "WX00004")).mappings().one())
        row["name"] = "赵强强"
        centre.upsert_rows("customer", [row])
        report = engine.sync_once(desk, centre, scope=("岳麓区",))
        assert report.pulled >= 1
        assert _districts(desk) == ["岳麓区"]
    finally:
        desk.dispose()


def test_verify_on_a_partial_desk_sets_the_other_districts_aside(tmp_path: Path,
                                                                  centre) -> None:
    """sync --verify: the centre's customers of other districts are not differences (and
    a repair does not copy them here); a missing customer of the desk's own district is."""
    from agentdesk.sync import engine, repair, verify

    ids = _load(centre)
    desk = new_desk(tmp_path / "desk.db")
    try:
        engine.sync_once(desk, centre, scope=("岳麓区",), seed=True)
        verdict = verify.verify(desk, centre)
        checks = {t.entity: t for t in verdict.tables}
        assert verdict.equal, verdict.differences
        assert checks["customer"].outside == 3 and checks["customer_phone"].outside == 3
        with desk.engine.begin() as conn:  # by hand: one of its own district goes missing
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.exec_driver_sql("DELETE FROM customer_phone WHERE customer_id = ?",
                                 (ids["WX00001"],))
            conn.exec_driver_sql("DELETE FROM customer WHERE id = ?", (ids["WX00001"],))
        verdict = verify.verify(desk, centre)
        assert {(d.entity, d.row_id) for d in verdict.differences
                if d.entity == "customer"} == {("customer", ids["WX00001"])}
        repair.repair(desk, centre, verdict.differences)
        assert _districts(desk) == ["岳麓区"]
        assert verify.verify(desk, centre).equal
    finally:
        desk.dispose()


def test_the_centre_answers_by_the_desk_rules_and_the_opened_customer_is_cached(
        tmp_path: Path, centre) -> None:
    from agentdesk.customers import lookup
    from agentdesk.sync import engine, remote

    ids = _load(centre)
    desk = new_desk(tmp_path / "desk.db")
    try:
        engine.sync_once(desk, centre, scope=("岳麓区",))
        with desk.session() as s:
            assert lookup.search(s, "1122") == []
        assert remote.wanted(("岳麓区",), "1122", 0)
        # the same query kinds as the desk: phone suffix, name + district, pinyin, account
        assert [m.account_no for m in remote.search(centre, "1122")] == ["WX00002"]
        assert [m.account_no for m in remote.search(centre, "天心区 张")] == ["WX00003"]
        assert {m.account_no for m in remote.search(centre, "zw")} == {"WX00000", "WX00003"}
        assert [m.account_no for m in remote.search(centre, "wx 00004")] == ["WX00004"]
        # several clues: counted, intersected and row-tested at the centre as here
        assert [m.account_no for m in remote.search(centre, "张伟 3344")] == ["WX00003"]
        assert [m.account_no for m in remote.search(centre, "zw 桃子湖小区4栋")] == ["WX00003"]
        assert [m.account_no for m in remote.search(centre, "王 1122")] == ["WX00002"]
        found = remote.search(centre, "13900001122")
        assert found[0].phones == ("+8613900001122",) and found[0].match == "phone"
        # a query naming a district outside the scope goes to the centre even with a
        # local match
        assert remote.wanted(("岳麓区",), "天心区 张伟", 1)
        assert not remote.wanted(("岳麓区",), "岳麓区 张伟", 1)
        assert not remote.wanted((), "1122", 0)  # a whole desk never asks
        # opening it caches it here, with phones and keys: the next lookup is local
        assert remote.cache(desk, centre, ids["WX00002"])
        with desk.session() as s:
            assert [m.account_no for m in lookup.search(s, "1122")] == ["WX00002"]
            assert lookup.card(s, ids["WX00002"]).phones == ("+8613900001122",)
        # and the desk's pulls keep it up to date (it is here now), nothing queued to push
        assert desk_rows(desk, "SELECT count(*) FROM sync_outbox") == [(0,)]
    finally:
        desk.dispose()


def test_an_unreachable_centre_answers_offline_fast(tmp_path: Path) -> None:
    import time

    from agentdesk.sync import remote

    url = "postgresql://postgres@127.0.0.1:9/none"  # the discard port: refused at once
    began = time.perf_counter()
    assert remote.ask(url, "1122") == ([], "offline")
    assert time.perf_counter() - began < remote.TIMEOUT_S + 3
    began = time.perf_counter()
    assert remote.ask(url, "1122") == ([], "offline")  # quiet: not asked again
    assert time.perf_counter() - began < 0.1
    assert not remote.reachable(url)


def test_a_widened_scope_fetches_the_new_districts(tmp_path: Path, centre) -> None:
    from agentdesk.sync import engine

    _load(centre)
    desk = new_desk(tmp_path / "desk.db")
    try:
        engine.sync_once(desk, centre, scope=("岳麓区",))
        report = engine.sync_once(desk, centre, scope=("岳麓区", "天心区"))
        assert report.widened == ["天心区"] and report.refetched == 2
        assert _districts(desk) == ["天心区", "岳麓区"]
        assert desk_rows(desk, "SELECT count(*) FROM customer_phone") == [(4,)]
        report = engine.sync_once(desk, centre, scope=())  # the whole file
        assert report.widened == ["*"] and report.refetched == 1
        assert _districts(desk) == ["天心区", "岳麓区", "雨花区"]
        assert engine.sync_once(desk, centre, scope=()).widened == []
    finally:
        desk.dispose()


def test_config_reads_the_scope(tmp_path: Path) -> None:
    from agentdesk.core import config

    path = tmp_path / "config.toml"
    path.write_text('sync_scope = ["岳麓区", "天心区"]\n', encoding="utf-8")
    assert config.load(path, {}).sync_scope == ("岳麓区", "天心区")
    assert config.load(path, {"AGENTDESK_SYNC_SCOPE": "雨花区; 岳麓区"}).sync_scope == (
        "雨花区", "岳麓区")
    assert config.load(tmp_path / "none.toml", {}).sync_scope == ()
    path.write_text("sync_scope = 3\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="sync_scope"):
        config.load(path, {})


async def test_the_lookup_screen_asks_the_centre_and_says_so(tmp_path: Path) -> None:
    """A partial desk's screen: nobody here -> the centre's match, marked; opening it
    caches it (the card says 来自中心 / from the centre); offline it says the customer
    may be outside this desk's districts."""
    from textual.widgets import DataTable, Input

    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config
    from agentdesk.sync import central, remote
    from tests.conftest import settle, visible_text, wait_until

    (tmp_path / "c").mkdir()
    url = f"sqlite:///{tmp_path / 'c' / 'central.db'}"
    centre = central.connect(url)
    centre.init_schema()
    _load(centre)
    app = create_app(Config(lang="en", agent_id="A1001", agent_name="王芳", central_url=url,
                            sync_interval=3600, sync_scope=("岳麓区",)),
                     db_path=tmp_path / "desk.db")
    async with app.run_test(size=(140, 30)) as pilot:
        assert await wait_until(pilot, lambda: app.sync_state.startswith("synced"), 15)
        assert _districts(app.store) == ["岳麓区"]
        app.screen.query_one("#query", Input).value = "1122"
        await pilot.pause(0.4)
        await settle(pilot)
        table = app.screen.query_one("#results", DataTable)
        assert await wait_until(pilot, lambda: table.row_count == 1)
        assert "found at the centre" in visible_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert await wait_until(pilot, lambda: app.screen.card is not None)
        assert app.screen.card.from_centre and app.screen.card.account_no == "WX00002"
        assert "from the centre" in visible_text(app)
        assert desk_rows(app.store, "SELECT count(*) FROM customer WHERE account_no = "
                                    "'WX00002'") == [(1,)]  # cached here
        # the centre gone: a query nobody here matches says where the caller may be
        centre.dispose()
        remote.forget(url)
        (tmp_path / "c").rename(tmp_path / "gone")
        app.screen.query_one("#query", Input).value = "5566"
        await pilot.pause(0.4)
        await settle(pilot)
        assert await wait_until(pilot, lambda: "outside this desk's districts"
                                in visible_text(app))
    remote.forget(url)
