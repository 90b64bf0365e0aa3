"""Knowledge base: loading, the index, search (bad input, ranking, quality floor) and
snippets. Pilot tests of the screen are in tests/test_kb_screen.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from agentdesk.kb import catalog, index, links, loader, search, tokens

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from agentdesk.core.store import Store

SHIPPED = sorted(loader.SHIPPED_DIR.glob("*.md"))


def article(id: str, title: str, body: str = "## 答复口径\n\n您好。\n", synonyms=(),
            reviewed: str = "2026-11-20", review_days: int = 365, extra: str = "") -> str:
    syn = ", ".join(json.dumps(s, ensure_ascii=False) for s in synonyms)
    return (f'+++\nid = "{id}"\ntitle = {json.dumps(title, ensure_ascii=False)}\n'
            f'utility = "water"\ncategory = "water.test"\ntags = []\nsynonyms = [{syn}]\n'
            f'owner = "测试组"\nreviewed = {reviewed}\nreview_days = {review_days}\n{extra}'
            f"+++\n\n{body}")


def write(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return path


def count(store: Store, sql: str) -> int:
    with store.session() as s:
        return s.connection().execute(text(sql)).scalar()


@pytest.fixture
def kb(desk: Store) -> Store:
    """The desk with the shipped articles imported."""
    loader.ensure_shipped(desk)
    return desk


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shipped articles in a database shared by the tests that only search."""
    from agentdesk.core import store

    desk = store.open_desk(tmp_path_factory.mktemp("kb") / "kb.db")
    loader.ensure_shipped(desk)
    yield desk
    desk.dispose()


def hits(store: Store, query: str, limit: int = 10) -> list[str]:
    with store.session() as s:
        return [h.id for h in search.search(s, query, limit=limit)]


# --- loading ---------------------------------------------------------------------------


def test_shipped_articles_all_parse_and_have_the_four_sections() -> None:
    assert len(SHIPPED) >= 80
    for path in SHIPPED:
        a = loader.read_file(path)
        assert a.id == path.stem
        for heading in ("答复口径", "处理步骤", "时限承诺", "何时转工单"):
            assert catalog.section(a.body, heading), (path.name, heading)


def test_import_good_folder(desk, tmp_path: Path) -> None:
    report = loader.import_dir(desk, loader.SHIPPED_DIR)
    assert report.errors == []
    assert report.inserted == len(SHIPPED) and report.updated == 0
    assert count(desk, "SELECT count(*) FROM kb_article") == len(SHIPPED)
    assert count(desk, "SELECT count(*) FROM kb_fts") == len(SHIPPED)
    assert "0 file(s) skipped" in report.format()


BAD = {
    "no-header.md": ("## 答复口径\n\n没有头。\n", "must start with a '+++' line"),
    "unclosed.md": ('+++\nid = "x"\ntitle = "y"\n\n## 答复口径\n', "never closed"),
    "bad-toml.md": ('+++\nid = "bad-toml"\ntitle = "漏了引号\nreview_days = 3\n+++\nbody\n',
                    "line 3"),
    "no-title.md": ('+++\nid = "no-title"\n+++\nbody\n', "'title'"),
    "bad-date.md": (article("bad-date", "日期错", extra="").replace(
        "reviewed = 2026-11-20", 'reviewed = "去年"'), "'reviewed' must be a date"),
    "unknown-key.md": (article("unknown-key", "多了键", extra='synonym = ["x"]\n'),
                       "unknown header key(s) synonym"),
    "bad-id.md": (article("Bad ID!", "坏编号"), "id 'Bad ID!'"),
}


def test_malformed_header_names_file_and_problem_and_skips_only_it(english, desk, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    for path in SHIPPED[:3]:
        folder.mkdir(exist_ok=True)
        shutil.copy(path, folder / path.name)
    for name, (content, _) in BAD.items():
        write(folder, name, content)
    write(folder, "dup.md", loader.SHIPPED_DIR.joinpath(SHIPPED[0].name).read_text("utf-8"))
    report = loader.import_dir(desk, folder)
    problems = dict(report.errors)
    assert report.inserted == 3
    for name, (_, problem) in BAD.items():
        assert problem in problems[name], (name, problems.get(name))
    assert "already used by" in problems["dup.md"] or "already used by" in problems.get(
        SHIPPED[0].name, "")
    assert len(report.errors) == len(BAD) + 1
    shown = report.format()
    assert "bad-toml.md: line 3" in shown and "3 inserted" in shown


def test_missing_folder_is_a_report_not_a_crash(desk, tmp_path: Path) -> None:
    report = loader.import_dir(desk, tmp_path / "nope")
    assert report.errors and "not a folder" in report.errors[0][1]


def test_reimport_is_idempotent_and_updates_on_change(desk, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    write(folder, "a.md", article("t-a", "测试井盖松动", synonyms=["井盖响"]))
    write(folder, "b.md", article("t-b", "测试水表漏水"))
    assert loader.import_dir(desk, folder).inserted == 2
    again = loader.import_dir(desk, folder)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert count(desk, "SELECT count(*) FROM kb_fts") == 2
    write(folder, "a.md", article("t-a", "测试消防栓被撞", synonyms=["消火栓撞坏"]))
    changed = loader.import_dir(desk, folder)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    assert count(desk, "SELECT count(*) FROM kb_fts") == 2
    assert hits(desk, "消防栓") == ["t-a"]
    assert hits(desk, "井盖") == []  # the old title is gone from the index
    with desk.session() as s:
        terms = dict(s.connection().execute(text("SELECT term, docs FROM kb_term")).all())
    assert "井盖" not in terms and terms["消防"] == 1


def test_term_counts_stay_equal_to_a_rebuild(desk, tmp_path: Path) -> None:
    loader.ensure_shipped(desk)
    folder = tmp_path / "kb"
    first = SHIPPED[0].read_text("utf-8")
    write(folder, SHIPPED[0].name, first.replace("## 答复口径", "## 答复口径\n\n补充一句井盖。", 1))
    loader.import_dir(desk, folder)
    with desk.session() as s:
        before = sorted(s.connection().execute(text("SELECT term, docs FROM kb_term")).all())
        index.rebuild(s.connection())
        after = sorted(s.connection().execute(text("SELECT term, docs FROM kb_term")).all())
    assert before == after


def test_ensure_shipped_imports_once_then_only_on_change(desk) -> None:
    assert loader.ensure_shipped(desk) == len(SHIPPED)
    assert loader.ensure_shipped(desk) is None
    with desk.session() as s:  # as if the token rules changed in a new release
        s.connection().execute(text("UPDATE kb_meta SET value = 'old' "
                                    "WHERE key = 'token_version'"))
    assert loader.ensure_shipped(desk) == len(SHIPPED)
    assert count(desk, "SELECT count(*) FROM kb_fts") == len(SHIPPED)
    assert loader.ensure_shipped(desk) is None


def test_ensure_shipped_notices_a_changed_file(desk, tmp_path: Path) -> None:
    folder = tmp_path / "shipped"
    write(folder, "a.md", article("s-a", "停水测试"))
    assert loader.ensure_shipped(desk, folder) == 1
    assert loader.ensure_shipped(desk, folder) is None
    write(folder, "a.md", article("s-a", "停水测试改"))
    assert loader.ensure_shipped(desk, folder) == 1


# --- search: bad input ---------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "！？。，、", "😀👍🏻", "\u200b\t"])
def test_unusable_queries_are_a_clear_error(shipped, query: str) -> None:
    with shipped.session() as s, pytest.raises(search.KbQueryError) as caught:
        search.search(s, query)
    assert str(caught.value)


@pytest.mark.parametrize("query", [
    "AND OR NOT * \" NEAR( ^ :", "停水 AND 通知", "停水\"通知", "NEAR(停水 通知, 2)",
    "title:停水", "^停水", "停水*", "(停水) OR -通知", "停水' OR 1=1 --",
    "停" * 10_000, "a" * 10_000, "停水😀通知👍", "app上交电费没到账", "WiFi路由器坏了",
    "电费３８０块？！", "１２３４５转来的工单", "ｗｉｆｉ", "sy", "x", "水",
])
def test_hostile_and_odd_queries_never_raise(shipped, query: str) -> None:
    with shipped.session() as s:
        found = search.search(s, query)
    assert len(found) <= 10
    for hit in found:
        assert hit.snippet_plain == "".join(part for part, _ in hit.snippet)
        json.dumps(hit.as_json(), ensure_ascii=False)


def test_fts_syntax_is_searched_as_words(shipped) -> None:
    assert hits(shipped, "停水 AND 通知")[:3] == hits(shipped, "停水 通知")[:3]
    assert hits(shipped, "停水\"通知")[:3] == hits(shipped, "停水 通知")[:3]


def test_emoji_and_full_width_are_normalised(shipped) -> None:
    assert hits(shipped, "停水😀通知👍") == hits(shipped, "停水通知")
    assert hits(shipped, "１２３４５转办") == hits(shipped, "12345转办")
    assert hits(shipped, "ＡＰＰ交电费") == hits(shipped, "app交电费")


def test_long_queries_are_capped(shipped) -> None:
    assert hits(shipped, "停水通知" + "啊" * 10_000) == hits(shipped, "停水通知" + "啊" * 500)


# --- search: ranking -----------------------------------------------------------------


def test_titles_outrank_body_matches(desk, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    body = "## 答复口径\n\n" + "井盖松动时请绕行，井盖松动会有响声。" * 5 + "\n"
    write(folder, "body.md", article("in-body", "道路设施问题", body=body))
    write(folder, "title.md", article("in-title", "井盖松动的受理"))
    loader.import_dir(desk, folder)
    assert hits(desk, "井盖松动") == ["in-title", "in-body"]


def test_homophone_typo_finds_the_word_meant(shipped) -> None:
    with shipped.session() as s:
        found = search.search(s, "计划停水同知")  # 通知 typed as 同知
    hit = next(h for h in found[:3] if h.id == "water-planned-outage-notice")
    marked = "".join(p for p, m in search.segments(hit.title, hit.terms, hit.sounds) if m)
    assert "通知" in marked  # highlighted by sound


def test_pinyin_initials_find_titles(shipped) -> None:
    assert hits(shipped, "jhts")[0] == "water-planned-outage-notice"  # 计划停水
    assert hits(shipped, "JHTD")[0] == "power-planned-outage"  # 计划停电


def test_mixed_english_and_chinese(shipped) -> None:
    assert "power-payment-channels" in hits(shipped, "APP交电费")[:3]


def test_quality_floor_on_the_quality_set(shipped) -> None:
    """A quality assertion (not timing): recall@3 on tests/kb_queries.tsv."""
    from bench import kb as bench_kb

    pairs = bench_kb.load_quality_set()
    assert len(pairs) >= 100
    scores = bench_kb.quality(shipped, pairs, bench_kb.ours)
    assert scores["recall@3"] >= 0.85, scores
    baseline = bench_kb.quality(shipped, pairs, bench_kb.naive_title_like)
    assert scores["MRR"] > baseline["MRR"]


# --- snippets ------------------------------------------------------------------------


def test_snippet_highlights_matches_and_keeps_markup_as_text(desk, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    body = "## 答复口径\n\n[bold]停水[/]期间请储水，[red]通知[/]见小区门口。\n"
    write(folder, "m.md", article("markup", "[/]停水[bold]通知", body=body))
    loader.import_dir(desk, folder)
    with desk.session() as s:
        (hit,) = search.search(s, "停水通知")
    assert hit.title == "[/]停水[bold]通知"
    assert "[bold]停水[/]" in hit.snippet_plain
    assert ("停水", True) in hit.snippet and ("通知", True) in hit.snippet
    assert all(not is_match for part, is_match in hit.snippet if "[" in part)
    assert hit.as_json() == {"id": "markup", "title": "[/]停水[bold]通知",
                             "score": round(hit.score, 4), "snippet": hit.snippet_plain}


def test_segments_cover_the_text_exactly() -> None:
    parts = search.segments("停水ＡＰＰ通知app", ("停水", "app"))
    assert "".join(p for p, _ in parts) == "停水ＡＰＰ通知app"
    assert [p for p, hit in parts if hit] == ["停水ＡＰＰ", "app"]


def test_tokens() -> None:
    assert tokens.han_tokens("停水通知 app") == ["停水", "水通", "通知", "app"]
    assert tokens.pinyin_tokens("水压") == ["shuiya"] == tokens.pinyin_tokens("水鸭")
    assert tokens.initials("水压低") == ["syd", "yd"]  # suffixes: "sy"* and "yd"* both match


# --- review dates and links ----------------------------------------------------------


def test_overdue_articles(desk, tmp_path: Path) -> None:
    from datetime import date

    folder = tmp_path / "kb"
    write(folder, "old.md", article("old", "过期文章", reviewed="2025-01-01", review_days=30))
    write(folder, "new.md", article("new", "新文章", reviewed="2026-11-01", review_days=30))
    loader.import_dir(desk, folder)
    with desk.session() as s:
        assert [a.id for a in catalog.overdue(s, date(2026, 11, 25))] == ["old"]
        assert [a.id for a in catalog.overdue(s, date(2026, 12, 2))] == ["old", "new"]
        assert catalog.get(s, "old").due_on == date(2025, 1, 31)


def test_link_article_to_ticket(kb) -> None:
    with kb.session() as s:
        ticket_id = s.connection().execute(text("SELECT id FROM ticket")).scalar()
        assert links.link(s, ticket_id, "water-burst-main", "A1001") is True
        assert links.link(s, ticket_id, "water-burst-main", "A1001") is False
        assert links.articles_for(s, ticket_id) == ["water-burst-main"]
        with pytest.raises(links.LinkError):
            links.link(s, "no-such-ticket", "water-burst-main")


# --- command line --------------------------------------------------------------------


def test_cli_search_json_and_import_report(desk, tmp_path: Path, capsys) -> None:
    from agentdesk import cli

    assert cli.main(["kb", "search", "停水通知", "--json", "--db", str(desk.path)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and set(found[0]) == {"id", "title", "score", "snippet"}
    assert cli.main(["kb", "search", "！！", "--db", str(desk.path)]) == 2
    folder = tmp_path / "kb"
    write(folder, "bad.md", "no header\n")
    write(folder, "good.md", article("good", "好文章"))
    assert cli.main(["import", "kb", str(folder), "--db", str(desk.path)]) == 1
    out = capsys.readouterr().out
    assert "bad.md" in out and "1 inserted" in out


def test_upgrade_from_0002_indexes_articles_already_there(tmp_path: Path) -> None:
    from agentdesk.core import migrations, store

    path = tmp_path / "old.db"
    engine = store.sqlite_engine(path, readonly=False)
    migrations.upgrade(engine, path, target="0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO kb_article (id, title, utility, category, tags, synonyms, body, "
            "owner, reviewed_on, review_days, updated_at) VALUES ('centre-1', '中心下发的井盖口径', "
            "'water', '', '', '', '正文', '', NULL, 365, '2026-01-01 00:00:00.000000')")
    engine.dispose()
    desk = store.open_desk(path)
    try:
        assert migrations.current(desk.engine) == migrations.HEAD
        assert loader.ensure_shipped(desk) == len(SHIPPED) + 1
        assert hits(desk, "中心下发")[0] == "centre-1"
        with desk.session() as s:
            assert [a.id for a in catalog.overdue(s, date_today())][:1] == ["centre-1"]
    finally:
        desk.dispose()


def date_today() -> date:
    from agentdesk.core import clock

    return clock.local().date()
