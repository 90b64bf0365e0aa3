"""Hostile input (issue 20, item 1): no byte from data reaches the terminal raw.

Arbitrary Unicode, with C0 and C1 controls, escape sequences (OSC title, CSI clear) and
bidi overrides mixed in, is thrown at each way in (refused with a message naming the
field and the character, or taken in without a control character) and at each renderer
(the CLI's plain and JSON output, Rich tables, the desk's and the monitor's widgets),
which must show control characters visibly whatever is in the database already.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentdesk.cli import main
from agentdesk.core import controls, guard
from agentdesk.core.config import ConfigError, load
from tests.conftest import settle, visible_text, wait_ready, wait_until
from tests.test_app import SIZE, desk_app
from tests.test_kb import article

RAW = ("\x1b", "\x9b", "\x9d", "\x07")
C0 = [chr(c) for c in range(0x20)] + ["\x7f"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x200E,
                         0x200F, 0xFEFF)]
SEQUENCES = ["\x1b]0;pwned\x07", "\x1b[2J", "\x1b[31m", "\x9b2J", "\x9d0;pwned\x9c",
             "\x1bP+q\x1b\\", "\x1b[?1049h", "\r\x1b[K", "\x1b]8;;http://x\x1b\\"]
hostile = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(C0 + C1 + BIDI + SEQUENCES)),
                   min_size=1, max_size=8).map("".join)
# Everything at once: what the Pilot tests put in the database.
NASTY = "\x1b]0;pwned\x07停水\x1b[2J\x9b31m\x9d0;x\x9c\u202e反转\u2066\x00\x7f\r"
SOME = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW = settings(max_examples=20, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_safe(out: str) -> None:
    """No raw ESC, CSI, OSC or BEL, nor any other control character but tab and newline."""
    assert not any(raw in out for raw in RAW), repr(out)
    assert controls.first(out, lines=True) is None, repr(out)


def assert_refused_or_clean(call, value: str, lines: bool = False) -> object:  # noqa: ANN001
    """``call()`` either refuses (its message safe, naming the first control character)
    or returns with ``value`` holding none."""
    try:
        return call()
    except (guard.FieldError, ConfigError, ValueError) as exc:
        message = str(exc)
        assert_safe(message)
        found = controls.first(value, lines)
        if found is not None and "U+" in message:
            assert f"U+{ord(found.group()):04X}" in message, message
        return None


# --- the one rule and the one visible form -----------------------------------------------


@SOME
@given(hostile, st.booleans())
def test_a_field_is_refused_naming_the_character_or_passes_untouched(value: str,
                                                                     lines: bool) -> None:
    try:
        got = guard.check("--text", value, 10_000, lines=lines)
    except guard.FieldError as exc:
        message = str(exc)
        assert message.startswith("--text"), message
        found = controls.first(value, lines)
        assert found is not None
        assert f"U+{ord(found.group()):04X}" in message
        assert_safe(message)
    else:
        assert got == value and controls.first(value, lines) is None


def test_sizes_are_bounded_with_a_clear_message() -> None:
    with pytest.raises(guard.FieldError, match="太长（10001 个字符，最多 10000 个）"):
        guard.check("工单内容", "水" * 10_001, 10_000, lines=True)
    with pytest.raises(guard.FieldError, match="应为文本"):
        guard.check("number", 13812345678, 64)
    assert guard.check("note", "第一行\n\t第二行", 100, lines=True) == "第一行\n\t第二行"
    with pytest.raises(guard.FieldError, match="U\\+000A"):
        guard.check("location", "一\n二", 100)


@SOME
@given(hostile)
def test_shown_leaves_no_control_character_and_changes_nothing_else(value: str) -> None:
    out = controls.shown(value, lines=True)
    assert_safe(out)
    assert "\n" not in controls.shown(value) and "\t" not in controls.shown(value)
    clean = "".join(c for c in value if controls.first(c, lines=True) is None)
    assert controls.clean(value, lines=True) == clean
    if clean == value:
        assert out == value  # ordinary text (Chinese, emoji, tabs, newlines) untouched


def test_the_visible_form() -> None:
    assert controls.shown("\x1b]0;pwned\x07\x9b2J\u202e\x7f") == "␛]0;pwned␇<U+009B>2J<U+202E>␡"
    assert controls.shown("a\tb\nc") == "a␉b␊c"
    assert controls.shown("a\tb\nc", lines=True) == "a\tb\nc"
    assert controls.shown("\udcff\U000e0041") == "<U+DCFF><U+E0041>"


# --- ways in --------------------------------------------------------------------------------


@SOME
@given(hostile)
def test_agent_codes_from_every_way_in(tmp_path: Path, value: str) -> None:
    from agentdesk.cli_support import CliError, load_config

    def is_code(config: object) -> None:
        if config is not None:
            assert guard.AGENT_CODE.fullmatch(config.agent_id), config.agent_id

    is_code(assert_refused_or_clean(lambda: load(environ={"AGENTDESK_AGENT_ID": value}), value))
    path = tmp_path / "config.toml"
    path.write_text(f"agent_id = {json.dumps(value, ensure_ascii=False)}\n", encoding="utf-8")
    is_code(assert_refused_or_clean(lambda: load(path, environ={}), value))
    try:
        is_code(load_config(argparse.Namespace(agent=value)))
    except CliError as exc:
        assert "--agent" in str(exc)
        assert_safe(str(exc))


def test_a_bad_agent_code_stops_the_command_with_the_field_named(capsys) -> None:
    assert main(["ticket", "list", "--agent", "\x1b]0;pwned\x07"]) == 2
    err = capsys.readouterr().err
    assert "--agent" in err and "U+001B" in err
    assert_safe(err)
    assert main(["ticket", "list", "--agent", "王芳"]) == 2
    assert "1-32" in capsys.readouterr().err


def test_a_bad_variable_is_said_in_the_language_asked_for(capsys, monkeypatch) -> None:
    monkeypatch.setenv("AGENTDESK_AGENT_ID", "\x1b]0;pwned\x07")
    assert main(["ticket", "list", "--lang", "en"]) == 2
    assert capsys.readouterr().err == (
        "agentdesk: AGENTDESK_AGENT_ID: agent_id: character 1 is a control character "
        "(U+001B), not accepted\n")


def test_config_names_the_setting_and_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AGENTDESK_AGENT_NAME: agent_name.*U\\+001B"):
        load(environ={"AGENTDESK_AGENT_NAME": "王\x1b[2J芳"})
    path = tmp_path / "c.toml"
    path.write_text('desk = "d1"\nagent_id = "A1\\u009b"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2: agent_id.*U\\+009B"):
        load(path, environ={})


@SOME
@given(hostile)
def test_ticket_texts_are_refused_or_stored_clean(desk, value: str) -> None:
    from agentdesk.tickets import service as tickets

    for description, location, lines in ((value, "花园路", True), ("漏水", value, False)):
        with desk.session() as s:
            try:
                ticket = tickets.create(s, tickets.Draft(
                    category="water.burst", description=description, location=location),
                    "A1001")
            except tickets.TicketError as exc:
                assert_safe(str(exc))
                continue
            stored = ticket.description if lines else ticket.location
            assert controls.first(stored, lines) is None, repr(stored)


@SOME
@given(hostile)
def test_customer_csv_rows_are_refused_or_stored_clean(desk, tmp_path: Path,
                                                       value: str) -> None:
    import csv

    from agentdesk.customers import csvio

    path = tmp_path / "c.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(csvio.HEADER)
        out.writerow(["3199000001", "张" + value, "13812345678", "金水区", value, "", "", "",
                      "", "water", "", "", "", "", ""])
    try:
        report = csvio.import_customers(desk, path)
    except csvio.ImportFileError as exc:
        assert_safe(str(exc))
        return
    assert_safe(report.format())
    if not report.errors:
        with desk.session() as s:
            name, street = s.connection().exec_driver_sql(
                "SELECT name, street FROM customer WHERE account_no = '3199000001'").one()
        assert controls.first(name) is None and controls.first(street) is None


def test_ticket_create_says_which_character(english, desk, capsys) -> None:
    code = main(["ticket", "create", "--db", str(desk.path), "--category", "water.burst",
                 "--location", "花园路", "--text", "\x1b]0;pwned\x07 \x1b[2J"])
    assert code == 2
    err = capsys.readouterr().err
    assert "description" in err and "U+001B" in err
    assert_safe(err)


@SOME
@given(hostile, hostile)
def test_kb_articles_are_refused_or_read_clean(title: str, body: str) -> None:
    from agentdesk.kb import loader

    for text in (article("x", "停水" + title), article("x", "停水", body="## 答复口径\n" + body)):
        try:
            parsed = loader.parse(text)
        except loader.ArticleError as exc:
            assert_safe(str(exc))
            continue
        assert controls.first(parsed.title) is None
        assert controls.first(parsed.body, lines=True) is None


def test_kb_article_errors_name_the_line_and_the_character(tmp_path: Path) -> None:
    from agentdesk.kb import loader

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text(article("a", "停水", body="第一行\n停水 \x1b]0;pwned\x07\n"),
                                 encoding="utf-8")
    (folder / "b.md").write_text(article("b", "停水").replace("\n", "\r\n"), encoding="utf-8")
    (folder / "c.md").write_text(article("c", "停\u202e水"), encoding="utf-8")
    report = loader.KbImportReport()
    assert [a.id for a in loader.read_folder(folder, report)] == ["b"]  # CRLF is fine
    assert dict(report.errors) == {
        "a.md": "第 14 行：body：第 4 个字符是控制字符 U+001B，不能接受",
        "c.md": "title：第 2 个字符是控制字符 U+202E，不能接受"}


def test_a_kb_article_over_256_kb_is_refused_before_it_is_read(tmp_path: Path, desk) -> None:
    from agentdesk.kb import loader

    folder = tmp_path / "kb"
    folder.mkdir()
    head = article("fits", "停水", body="")
    (folder / "fits.md").write_text(head + "水" * ((guard.MAX_KB_FILE - len(head.encode())) // 3),
                                    encoding="utf-8")
    over = head.replace("fits", "over") + "x" * (guard.MAX_KB_FILE - len(head.encode()) + 2)
    (folder / "over.md").write_text(over, encoding="utf-8")
    with open(folder / "huge.md", "wb") as f:  # 31 MB, sparse: refused without reading it
        f.write(head.replace("fits", "huge").encode())
        f.truncate(31 * 1024 * 1024)
    report = loader.import_dir(desk, folder)
    assert report.inserted == 1
    problems = dict(report.errors)
    assert "文件太大（32,505,856 字节，最多 262,144 字节）" == problems["huge.md"]
    assert "262,144" in problems["over.md"]


async def _pop(message: bytes) -> tuple[dict, list[str]]:
    from agentdesk.customers import screenpop

    heard: list[str] = []
    path = Path(tempfile.mkdtemp(prefix="ad-")) / "s"
    server = await screenpop.serve(heard.append, path)
    try:
        reader, writer = await asyncio.open_unix_connection(str(path))
        writer.write(message + b"\n")
        await writer.drain()
        reply = json.loads(await reader.readline())
        writer.close()
    finally:
        screenpop.cleanup(server, path)
    return reply, heard


@SOME
@given(st.one_of(hostile, st.integers(), st.none(), st.booleans(), st.lists(st.integers()),
                 st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)))
def test_screen_pop_numbers_are_refused_or_passed_clean(number: object) -> None:
    reply, heard = asyncio.run(_pop(json.dumps({"type": "call", "number": number}).encode()))
    if reply["ok"]:
        assert isinstance(number, str) and heard == [number]
        assert controls.first(number) is None
    else:
        assert heard == []
        assert_safe(reply["error"])


def test_screen_pop_says_why() -> None:
    reply, heard = asyncio.run(_pop(b'{"type":"call","number":"\\u001b]0;pwned\\u0007"}'))
    assert not reply["ok"] and "U+001B" in reply["error"] and heard == []
    reply, _ = asyncio.run(_pop(b'{"type":"call","number":13812345678}'))
    assert not reply["ok"] and "number" in reply["error"]
    for message in (b"[]", b'"call"', b'{"type":"call","number":"' + b"1" * 65 + b'"}'):
        reply, heard = asyncio.run(_pop(message))
        assert not reply["ok"] and heard == []
    reply, heard = asyncio.run(_pop(b'{"type":"call","number":"+8613812345678"}'))
    assert reply["ok"] and heard == ["+8613812345678"]


@FEW
@given(hostile)
def test_trainee_names_are_refused_or_listed_clean(capsys, value: str) -> None:
    code = main(["train", "--history", f"--trainee={value}"])
    out, err = capsys.readouterr()
    assert_safe(out + err)
    assert code == (2 if controls.first(value) or len(value) > guard.MAX_NAME else 0)


# --- renderers ------------------------------------------------------------------------------


@SOME
@given(hostile)
def test_command_output_shows_control_characters(capsys, value: str) -> None:
    from agentdesk.cli_support import shown_output
    from agentdesk.core import i18n

    with shown_output():
        print(value, i18n.t("sync.verify.desk", entity="ticket", row_id=value))
        print(value, file=__import__("sys").stderr)
    out, err = capsys.readouterr()
    assert_safe(out + err)


def _hostile_rows(desk, value: str) -> None:  # noqa: ANN001
    """Old data, or rows pulled from the centre: written round every check."""
    with desk.session() as s:
        conn = s.connection()
        conn.exec_driver_sql("UPDATE customer SET name = ?, building = ? "
                             "WHERE account_no IN ('3100000001', '3100000002')",
                             (value, value))
        conn.exec_driver_sql("UPDATE ticket SET description = ? "
                             "WHERE number = 'GD2026112500001'", (value,))


@FEW
@given(hostile)
def test_cli_plain_and_json_output_of_data_in_the_database(desk, capsys, value: str) -> None:
    _hostile_rows(desk, value)
    assert main(["lookup", "3100000002", "--db", str(desk.path)]) == 0
    out, err = capsys.readouterr()
    assert_safe(out + err)
    assert main(["lookup", "3100000002", "--json", "--db", str(desk.path)]) == 0
    out = capsys.readouterr().out
    assert_safe(out)
    assert json.loads(out)[0]["name"] == value  # JSON escapes: the data stays exact
    assert main(["ticket", "show", "GD2026112500001", "--json", "--db", str(desk.path)]) == 0
    out = capsys.readouterr().out
    assert_safe(out)
    assert json.loads(out)["description"] == value


def _hostile_article(desk, title: str, body: str) -> None:  # noqa: ANN001
    from agentdesk.kb import loader

    parsed = loader.ParsedArticle(id="hostile", title=title, utility="water",
                                  category="water.outage", tags="", synonyms="", owner=title,
                                  reviewed_on=None, review_days=365, body=body)
    with desk.session() as s:
        loader.upsert(s.connection(), [parsed], loader.KbImportReport())


def test_kb_search_output_of_an_old_hostile_article(desk, capsys) -> None:
    from agentdesk.kb import loader

    loader.ensure_shipped(desk)
    _hostile_article(desk, "嘀嗒告示" + NASTY, "嘀嗒" + NASTY)
    assert main(["kb", "search", "嘀嗒告示", "--db", str(desk.path)]) == 0
    out = capsys.readouterr().out
    assert "嘀嗒告示␛]0;pwned␇停水␛[2J<U+009B>31m" in out
    assert_safe(out)
    assert main(["kb", "search", "嘀嗒告示", "--json", "--db", str(desk.path)]) == 0
    out = capsys.readouterr().out
    assert_safe(out)
    assert "嘀嗒告示" + NASTY in [hit["title"] for hit in json.loads(out)]


def test_train_history_of_an_old_hostile_scorecard(capsys) -> None:
    from agentdesk.training import history

    folder = history.root()
    folder.mkdir(parents=True)
    (folder / "x.json").write_text(json.dumps({
        "trainee": NASTY, "scenario": NASTY, "title": NASTY, "wall_started": 0,
        "score": 90, "pass_mark": 85}), encoding="utf-8")
    assert main(["train", "--history"]) == 0
    out = capsys.readouterr().out
    assert "␛]0;pwned␇停水" in out
    assert_safe(out)


@SOME
@given(hostile)
def test_rich_tables_of_data_show_control_characters(value: str) -> None:
    table = Table(title=controls.shown(value))
    table.add_column(controls.shown(value))
    table.add_row(Text(controls.shown(value)))
    table.add_row(controls.shown_text(Text.assemble(("粗", "bold"), value, ("红", "red"))))
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(table)
    assert_safe(console.file.getvalue())


def test_shown_text_keeps_the_styles() -> None:
    text = Text.assemble(("A", "bold"), ("\x1b[2J", "red"), "B")
    out = controls.shown_text(text)
    assert out.plain == "A␛[2JB"

    def styled(style: str) -> set[int]:
        return {i for s in out.spans if str(s.style) == style for i in range(s.start, s.end)}

    assert styled("bold") == {0} and styled("red") == {1, 2, 3, 4}


def assert_screen_safe(app) -> str:  # noqa: ANN001
    """What the terminal would be sent for the current screen (the exported screenshot
    holds every cell's text), as text."""
    assert_safe(app.export_screenshot())
    text = visible_text(app)
    assert_safe(text)
    return text


async def test_card_and_lookup_list_show_control_characters(desk) -> None:
    from textual.widgets import Input

    _hostile_rows(desk, NASTY)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.screen.query_one("#query", Input).value = "3100000002"
        assert await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
        await settle(pilot)
        assert "␛]0;pwned␇停水␛[2J" in assert_screen_safe(app)


async def test_ticket_detail_shows_control_characters(desk) -> None:
    from agentdesk.screens.ticket_detail import TicketDetail

    _hostile_rows(desk, NASTY)
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert "␛]0;pwned␇" in assert_screen_safe(app)  # the queue's caller column
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, TicketDetail)
                                and app.screen.ticket is not None)
        await settle(pilot)
        assert "␛]0;pwned␇停水" in assert_screen_safe(app)


async def test_kb_article_shows_control_characters(desk) -> None:
    from agentdesk.kb import loader

    loader.ensure_shipped(desk)
    _hostile_article(desk, "嘀嗒告示" + NASTY, "## 答复口径\n\n嘀嗒" + NASTY + "\n")
    app = desk_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"嘀嗒告示")
        assert await wait_until(pilot, lambda: app.screen.article is not None
                                and app.screen.article.id == "hostile", timeout=10)
        await settle(pilot)
        assert "␛]0;pwned␇停水" in assert_screen_safe(app)


async def test_header_toasts_and_pastes(desk) -> None:
    from textual import events
    from textual.widgets import Input, TextArea

    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config

    app = create_app(Config(agent_id="A7007", agent_name=NASTY), db_path=desk.path,
                     fill_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert " ␛]0;pwned␇停水" in assert_screen_safe(app)  # the header (labels go first when narrow)
        app.notify(NASTY, markup=False)
        await settle(pilot)
        toasts = [n.message for n in app._notifications]
        assert "␛]0;pwned␇停水␛[2J<U+009B>31m" in toasts[-1]
        assert_safe(toasts[-1])
        box = app.screen.query_one("#query", Input)
        box.focus()
        app.post_message(events.Paste("138\x1b[2J1234\u202e5678\n9"))
        await settle(pilot)
        assert box.value == "138[2J12345678"  # the first line, without its controls
        await pilot.press("f4")
        await settle(pilot)
        area = app.screen.query_one("#description", TextArea)
        area.focus()
        app.post_message(events.Paste("水管\x1b]0;x\x07爆了\r\n\t第二行"))
        await settle(pilot)
        assert area.text == "水管]0;x爆了\n\t第二行"
        assert_screen_safe(app)


async def test_monitor_agents_tab_shows_control_characters(tmp_path: Path) -> None:
    from agentdesk.apps.monitor import create_monitor_app
    from agentdesk.core.config import Config
    from tests.monitor_data import build

    path = tmp_path / "desk.db"
    build(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE agent SET name = ?, code = ? WHERE code = 'A1003'",
                     (NASTY, "A3" + NASTY))
    conn.close()
    app = create_monitor_app(Config(), path, interval=60.0)
    async with app.run_test(size=(160, 60)) as pilot:
        assert await wait_until(pilot, lambda: app.screen.refreshes >= 1
                                and app.screen.reviews >= 1, timeout=10), app.status
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "␛]0;pwned␇停水" in assert_screen_safe(app)


HOSTILE_SCENARIO = r"""
title = "演练\u001b]0;pwned\u0007\u009b2J"
utility = "water"
start = "2026-10-02T02:00:00+08:00"
hidden = ["隐藏\u001b[2J\u202e"]

[caller]
customer = "c"
number = "13812340009"
persona = "来电人\u001b]0;pwned\u0007"

[[customer]]
key = "c"
account_no = "3101000009"
name = "杨\u001b]0;pwned\u0007伟"
phones = ["13812340009"]
district = "金水区"

[[line]]
text = "水管\u001b]0;pwned\u0007爆了"

[[check]]
kind = "lookup"
weight = 10
"""


async def test_training_pane_trainer_card_and_scorecard_show_control_characters(
        tmp_path: Path) -> None:
    """A scenario file or a trainee name written round the checks (the scenario loader
    and TrainingRun take them as they are): every training screen draws them safely."""
    from agentdesk.apps.factory import create_app
    from agentdesk.core.config import Config
    from agentdesk.training import scenario as sc
    from agentdesk.training.session import TrainingRun, training_config

    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE_SCENARIO, encoding="utf-8")
    run = TrainingRun(sc.load(path), "小\x1b]0;pwned\x07李", "T1", running_clock=False,
                      workdir=tmp_path / "training")
    run.workdir.mkdir()
    run.prepare()
    app = create_app(training_config(Config(), run), db_path=run.db_path, fill_demo=False,
                     screen_pop=False, training=run)
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_ready(pilot)
        await wait_until(pilot, lambda: getattr(app.screen, "card", None) is not None)
        await settle(pilot)
        text = assert_screen_safe(app)
        assert "水管␛]0;pwned␇爆了" in text and "杨␛]0;pwned␇伟" in text
        await pilot.press("f8")  # the trainer's card
        await settle(pilot)
        assert "来电人␛]0;pwned␇" in assert_screen_safe(app)
        await pilot.press("escape", "f10")
        await wait_until(pilot, lambda: app.scorecard is not None)
        await settle(pilot)
        assert "小␛]0;pwned␇李" in assert_screen_safe(app)


def test_rows_pulled_from_the_centre_keep_their_text_and_are_shown_safely(
        tmp_path: Path, capsys) -> None:
    """The centre is a way in too: what it sends is stored as it is (the desk must equal
    the centre) and every renderer shows it safely."""
    import sqlalchemy as sa

    from agentdesk.sync import central, engine
    from tests.sync_helpers import new_desk

    centre = central.connect(f"sqlite:///{tmp_path / 'central.db'}")
    centre.init_schema()
    title = "嘀嗒告示" + NASTY
    with centre.writing() as conn:
        conn.execute(sa.text(
            "INSERT INTO kb_article (id, title, category, utility, body, tags, synonyms, "
            "owner, reviewed_on, review_days, updated_at) VALUES ('hostile', :title, "
            "'water.outage', 'water', :body, '', '', '', '2026-11-01', 365, "
            "'2026-11-25 01:00:00')"), {"title": title, "body": "嘀嗒" + NASTY})
        conn.execute(sa.text("INSERT INTO change_log (entity, row_id, op) "
                             "VALUES ('kb_article', 'hostile', 'upsert')"))
    desk = new_desk(tmp_path / "desk.db")
    try:
        engine.sync_once(desk, centre)
        with desk.session() as s:
            assert s.connection().exec_driver_sql(
                "SELECT title FROM kb_article WHERE id = 'hostile'").scalar() == title
    finally:
        desk.dispose()
        centre.dispose()
    assert main(["kb", "search", "嘀嗒告示", "--db", str(tmp_path / "desk.db")]) == 0
    out = capsys.readouterr().out
    assert "嘀嗒告示␛]0;pwned␇停水" in out
    assert_safe(out)


async def test_notices_screen_shows_control_characters(desk) -> None:
    """A notice written round the check (old data, a centre's row): the supervisor's list
    and detail show it safely; the notice service itself refuses it, naming the character."""
    from agentdesk.centre import notices
    from tests.test_notices_screen import WIDE, publish, supervisor_app

    with pytest.raises(notices.NoticeError, match="U\\+001B"):
        publish(desk, cause="管网\x1b]0;pwned\x07改造")
    nid = publish(desk)
    with desk.session() as s:
        s.connection().exec_driver_sql("UPDATE notice SET title = ?, cause = ? WHERE id = ?",
                                       ("停水通知" + NASTY, "改造" + NASTY, nid))
    app = supervisor_app(desk)
    async with app.run_test(size=WIDE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f6")
        assert await wait_until(pilot, lambda: app.screen.selected is not None)
        await settle(pilot)
        assert "改造␛]0;pwned␇停水" in assert_screen_safe(app)
