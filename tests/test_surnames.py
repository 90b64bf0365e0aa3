"""Surname readings: compound surnames keep one initial per syllable (issue on caller
lookup, part 6), and the readings agree with pypinyin's."""

from __future__ import annotations

import pytest
from pypinyin import Style, pinyin

from agentdesk.core import search_keys

# name, its readings (surname reading first) as initials and as full pinyin: the keys are
# "y" + initials and "f" + full, so 尉迟恭 is "yycg" ("y" + y-c-g), never "yyg".
COMPOUND_NAMES = [
    ("尉迟恭", ("ycg", "wcg"), ("yuchigong", "weichigong")),
    ("万俟卨", ("mqx", "wsx", "wqx"), ("moqixie", "wansixie", "wanqixie")),
    ("单于天", ("cyt", "syt", "dyt"), ("chanyutian", "shanyutian", "danyutian")),
    ("长孙无忌", ("zswj", "cswj"), ("zhangsunwuji", "changsunwuji")),
    ("澹台明", ("ttm", "dtm"), ("tantaiming", "dantaiming")),
    ("欧阳明月", ("oymy",), ("ouyangmingyue",)),
    ("司马光", ("smg",), ("simaguang",)),
    ("诸葛亮", ("zgl",), ("zhugeliang",)),
    ("上官婉儿", ("sgwe",), ("shangguanwaner",)),
    ("令狐冲", ("lhc",), ("linghuchong",)),
    ("皇甫嵩", ("hfs",), ("huangfusong",)),
    ("东方朔", ("dfs",), ("dongfangshuo",)),
    ("公孙胜", ("gss",), ("gongsunsheng",)),
    ("慕容复", ("mrf",), ("murongfu",)),
    ("宇文泰", ("ywt",), ("yuwentai",)),
    ("司徒雷", ("stl",), ("situlei",)),
    ("夏侯惇", ("xhd",), ("xiahoudun",)),
    ("端木赐", ("dmc",), ("duanmuci",)),
    ("独孤信", ("dgx",), ("duguxin",)),
    ("闻人杰", ("wrj",), ("wenrenjie",)),
    ("呼延灼", ("hyz",), ("huyanzhuo",)),
    ("赫连勃", ("hlb",), ("helianbo",)),
    ("南宫适", ("ngs",), ("nangongshi",)),
    ("第五伦", ("dwl",), ("diwulun",)),
    ("轩辕华", ("xyh",), ("xuanyuanhua",)),
    ("钟离春", ("zlc",), ("zhonglichun",)),
    ("鲜于枢", ("xys",), ("xianyushu",)),
]


@pytest.mark.parametrize("name, initials, full", COMPOUND_NAMES)
def test_compound_surname_keys(name: str, initials: tuple, full: tuple) -> None:
    keys = search_keys.name_keys(name)
    assert {k for k in keys if k[0] in "yf"} == {"y" + i for i in initials} | \
        {"f" + f for f in full}
    assert search_keys.split_name(name) == (name[:2], name[2:])
    assert "g" + name[2:] in keys
    # the surname reading first
    assert ["".join(s) for s in search_keys.name_readings(name)] == list(full)


def test_compound_surnames_are_two_characters_with_readings() -> None:
    assert set(search_keys.COMPOUND_SURNAMES) >= {
        "尉迟", "万俟", "单于", "欧阳", "司马", "诸葛", "上官", "长孙", "澹台", "令狐", "皇甫",
        "东方", "公孙", "慕容", "宇文", "司徒", "夏侯", "端木", "独孤", "闻人", "呼延", "赫连",
        "南宫", "第五"}
    for surname, readings in search_keys.SURNAME_READINGS.items():
        assert len(surname) in (1, 2), surname
        assert 1 <= len(readings) <= search_keys.MAX_READINGS, surname
        for reading in readings:  # one lower-case syllable per character
            assert len(reading.split()) == len(surname), (surname, reading)
            assert reading.replace(" ", "").isascii() and reading.islower(), reading


# Surname-only readings pypinyin lacks, listed here with why (none with pypinyin 0.55:
# its phrase dictionary knows 尉迟 yu chi, 万俟 mo qi, 单于 chan yu, 澹台 tan tai ...).
PYPINYIN_LACKS: dict[str, str] = {}


def _readings(text: str) -> list[list[str]]:
    return pinyin(text, heteronym=True, style=Style.NORMAL)


@pytest.mark.parametrize("surname", list(search_keys.SURNAME_READINGS))
def test_readings_are_pypinyins(surname: str) -> None:
    readings = search_keys.SURNAME_READINGS[surname]
    if surname in PYPINYIN_LACKS:
        return
    # The surname reading is pypinyin's for the surname as a phrase (尉迟 is yu chi only);
    # every other reading is one of each character's own readings (wei chi).
    first = readings[0].split()
    assert all(s in found for s, found in zip(first, _readings(surname), strict=True)), \
        (surname, first, _readings(surname))
    for reading in readings[1:]:
        assert all(s in _readings(ch)[0] for s, ch in zip(reading.split(), surname,
                                                          strict=True)), (surname, reading)
