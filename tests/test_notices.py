"""Outage notices (issue 16, items 1-2): a supervisor publishes, revises and withdraws;
the card shows the notice over its areas; a notice travels to every desk through the
centre, which refuses one from a desk whose agent is not a supervisor there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.centre import notices
from agentdesk.core import areas, clock
from agentdesk.customers import lookup

SUP = ("S9001", "赵班长", "supervisor")


def _draft(*where: str, **kw) -> notices.Draft:
    now = clock.now()
    values = dict(utility="water", kind="fault", areas=tuple(areas.parse(a) for a in where),
                  starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=4),
                  cause="DN300主管爆管抢修", restore_by=now + timedelta(hours=3))
    values.update(kw)
    return notices.Draft(**values)


def _card_titles(desk, account: str) -> list[str]:
    with desk.session() as s:
        return [n.title for n in lookup.card(s, lookup.id_by_account(s, account)).notices]


def test_publish_over_two_areas_reaches_the_cards_inside_them(desk) -> None:
    with desk.session() as s:
        done = notices.publish(s, _draft("金水区/花园路街道/幸福小区", "二七区/建中街街道"),
                               *SUP, clock.now())
        assert done.customers == 2
        assert done.per_area == {"金水区/花园路街道/幸福小区": 1, "二七区/建中街街道": 1}
    assert _card_titles(desk, "3100000001") == [done.notice.title]  # 幸福小区
    assert _card_titles(desk, "3100000002") == [done.notice.title]  # 建中街
    assert _card_titles(desk, "4100000003") == []  # a power customer elsewhere
    with desk.session() as s:
        card = lookup.card(s, lookup.id_by_account(s, "3100000002"))
    [line] = card.notices
    assert (line.kind, line.cause, line.active) == ("fault", "DN300主管爆管抢修", True)
    assert line.restore_by == clock.now() + timedelta(hours=3)


def test_a_building_area_covers_only_that_building(desk) -> None:
    with desk.session() as s:
        notices.publish(s, _draft("二七区/建中街街道/阳光花园/3栋"), *SUP, clock.now())
        notices.publish(s, _draft("二七区/建中街街道/阳光花园/9栋", title="九栋"), *SUP,
                        clock.now(), force=True)
    assert _card_titles(desk, "3100000002") == ["阳光花园故障停水"]


def test_revision_is_an_event_with_old_and_new_and_withdrawal_hides_it(desk) -> None:
    import json

    now = clock.now()
    with desk.session() as s:
        nid = notices.publish(s, _draft("二七区"), *SUP, now).notice.id
        later = now + timedelta(hours=5)
        notice = notices.update(s, nid[:13], *SUP, now, restore_by=later, ends_at=later,
                                note="抢修延时")
        assert notice.revision == 2
        events = notices.history(s, nid)
        assert [e.kind for e in events] == ["publish", "update"]
        data = json.loads(events[1].data)
        assert set(data) == {"restore_by", "ends_at", "note"}
        assert data["note"] == ["", "抢修延时"]
    with desk.session() as s:
        notices.withdraw(s, nid, *SUP, now, reason="误发")
        assert notices.listing(s, now, active_only=True) == []
        assert [e.kind for e in notices.history(s, nid)][-1] == "withdraw"
        with pytest.raises(notices.NoticeError):
            notices.update(s, nid, *SUP, now, note="x")
    assert _card_titles(desk, "3100000002") == []


def test_notice_events_are_append_only(desk) -> None:
    import sqlalchemy as sa

    with desk.session() as s:
        nid = notices.publish(s, _draft("二七区"), *SUP, clock.now()).notice.id
    with pytest.raises(sa.exc.DatabaseError), desk.session() as s:
        s.connection().exec_driver_sql("UPDATE notice_event SET kind = 'x' WHERE notice_id = ?",
                                       (nid,))


@pytest.mark.parametrize(("change", "needle"), [
    (dict(utility="gas"), "gas"),
    (dict(kind="rumour"), "rumour"),
    (dict(ends_at=clock.parse_instant("2026-11-25T08:00:00+08:00")), "结束"),
    (dict(starts_at=clock.parse_instant("2026-11-20T08:00:00+08:00"),
          ends_at=clock.parse_instant("2026-11-20T12:00:00+08:00"), restore_by=None), "过去"),
    (dict(cause="因" * 10_000), "过长"),
    (dict(cause="  "), "原因"),
    (dict(cause="爆管\x1b]0;pwned\x07"), "控制字符"),
    (dict(areas=()), "范围"),
])
def test_bad_notices_get_a_clear_message_and_write_nothing(desk, change, needle) -> None:
    with desk.session() as s:
        with pytest.raises((notices.NoticeError, areas.AreaError), match=needle):
            notices.publish(s, _draft("二七区", **change) if "areas" not in change
                            else notices.Draft(**{**_draft("二七区").__dict__, **change}),
                            *SUP, clock.now())
        assert s.connection().exec_driver_sql("SELECT count(*) FROM notice").scalar() == 0


def test_an_area_with_nobody_needs_force_and_markup_is_kept_as_text(desk) -> None:
    with desk.session() as s:
        with pytest.raises(notices.NoticeError, match="--force"):
            notices.publish(s, _draft("不存在区"), *SUP, clock.now())
        done = notices.publish(s, _draft("不存在区", cause="[bold]爆管[/]"), *SUP,
                               clock.now(), force=True)
        assert (done.customers, done.notice.cause) == (0, "[bold]爆管[/]")


def test_an_agent_cannot_publish_on_the_desk(desk) -> None:
    with desk.session() as s, pytest.raises(notices.NoticeError, match="supervisor"):
        notices.publish(s, _draft("二七区"), "A1001", "王芳", "agent", clock.now())


@pytest.mark.parametrize("bad", ["", "a//b", "a/b/c/d/e", "x" * 65])
def test_area_syntax(bad) -> None:
    with pytest.raises(areas.AreaError):
        areas.parse(bad)


def test_cli_publish_list_update_withdraw(desk, tmp_path: Path, monkeypatch, capsys) -> None:
    import json

    from agentdesk import cli

    config = tmp_path / "sup.toml"
    config.write_text('role = "supervisor"\nagent_id = "S9001"\n', encoding="utf-8")
    monkeypatch.setenv("AGENTDESK_CONFIG", str(config))
    db = ["--db", str(desk.path)]
    assert cli.main(["notice", "publish", "--utility", "water", "--kind", "planned",
                     "--area", "二七区/建中街街道", "--area", "金水区/花园路街道/幸福小区",
                     "--from", "2026-11-25 12:00", "--to", "2026-11-25 18:00",
                     "--cause", "管网改造", "--json", *db]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["customers"] == 2
    assert published["from"] == "2026-11-25T12:00+08:00"
    assert cli.main(["notice", "update", published["id"], "--restore-by",
                     "2026-11-25 20:00", *db]) == 0
    assert "2" in capsys.readouterr().out
    assert cli.main(["notice", "list", "--active", "--history", "--json", *db]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert [h["kind"] for h in listed["history"]] == ["publish", "update"]
    assert cli.main(["notice", "withdraw", published["id"], "--reason", "取消施工", *db]) == 0
    capsys.readouterr()
    assert cli.main(["notice", "list", "--active", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out) == []
    # a bad time and an agent's desk: a clear message, exit 2 or 1, nothing written
    assert cli.main(["notice", "publish", "--utility", "water", "--kind", "planned",
                     "--area", "二七区", "--from", "明天早上", "--to", "2026-11-26 18:00",
                     "--cause", "x", *db]) != 0
    assert "--from" in capsys.readouterr().err
    config.write_text('role = "agent"\n', encoding="utf-8")
    assert cli.main(["notice", "publish", "--utility", "water", "--kind", "planned",
                     "--area", "二七区", "--from", "2026-11-25 12:00", "--to",
                     "2026-11-25 18:00", "--cause", "x", *db]) != 0
    assert "supervisor" in capsys.readouterr().err


# --- across desks, through a centre -------------------------------------------------------


def test_a_notice_reaches_another_desk_and_its_withdrawal_too(centre, tmp_path: Path) -> None:
    from agentdesk.sync import engine
    from tests.sync_helpers import centre_rows, new_desk, seed_customers

    from agentdesk.sync import load

    ids = seed_customers(centre, n=3)
    # the centre's own agent table makes the supervisor (a desk's say-so grants nothing)
    load.agent_role(centre, SUP[0], "supervisor", SUP[1])
    sup, other = new_desk(tmp_path / "sup.db"), new_desk(tmp_path / "b.db")
    quiet = {"hook": lambda name: None}
    for d in (sup, other):
        engine.sync_once(d, centre, **quiet)
    with sup.session() as s:
        nid = notices.publish(s, _draft("金水区/花园路街道/幸福小区"), *SUP,
                              clock.now()).notice.id
    engine.sync_once(sup, centre, **quiet)
    engine.sync_once(other, centre, **quiet)
    with other.session() as s:
        assert [n.notice_id for n in lookup.card(s, ids[0]).notices] == [nid]
    with sup.session() as s:
        notices.withdraw(s, nid, *SUP, clock.now(), reason="已恢复")
    engine.sync_once(sup, centre, **quiet)
    engine.sync_once(other, centre, **quiet)
    with other.session() as s:
        assert lookup.card(s, ids[0]).notices == ()
        assert [e.kind for e in notices.history(s, nid)] == ["publish", "withdraw"]
    assert centre_rows(centre, "SELECT status, revision FROM notice") == [("withdrawn", 2)]
    sup.dispose()
    other.dispose()


def test_the_centre_refuses_a_notice_from_an_agent(centre, tmp_path: Path) -> None:
    """A desk that skips its own check (an old or altered agentdesk) cannot publish: the
    centre's agent table says A1001 is an agent; the change is set aside with the reason
    and no other desk sees the notice."""
    from agentdesk.sync import engine
    from tests.sync_helpers import centre_rows, new_desk, seed_customers

    ids = seed_customers(centre, n=2)
    rogue, other = new_desk(tmp_path / "rogue.db"), new_desk(tmp_path / "b.db")
    quiet = {"hook": lambda name: None}
    for d in (rogue, other):
        engine.sync_once(d, centre, **quiet)  # A1001 reaches the centre as an agent
    with rogue.session() as s:
        notices.publish(s, _draft("金水区"), "A1001", "王芳", "supervisor", clock.now())
    report = engine.sync_once(rogue, centre, **quiet)
    assert report is not None
    assert centre_rows(centre, "SELECT count(*) FROM notice") == [(0,)]
    reasons = centre_rows(centre, "SELECT entity, reason FROM quarantine ORDER BY entity")
    assert [r[0] for r in reasons] == ["notice", "notice_event"]
    assert all("supervisor" in r[1] for r in reasons)
    engine.sync_once(other, centre, **quiet)
    with other.session() as s:
        assert lookup.card(s, ids[0]).notices == ()
    rogue.dispose()
    other.dispose()
