"""Phone normalisation: the forms agents and spreadsheets use, and plain error reasons."""

from __future__ import annotations

import unicodedata

import phonenumbers as pn
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from agentdesk.customers import phones
from agentdesk.customers.phones import PhoneError, display, kind, normalise

MOBILE = "+8613812345678"
LANDLINE = "+8637161234567"


@pytest.mark.parametrize("text, e164", [
    ("138 1234 5678", MOBILE),
    ("13812345678", MOBILE),
    ("+86 138-1234-5678", MOBILE),
    ("+8613812345678", MOBILE),
    ("8613812345678", MOBILE),
    ("0086 138 1234 5678", MOBILE),
    ("１３８１２３４５６７８", MOBILE),  # full-width digits
    ("１３８　１２３４　５６７８", MOBILE),  # and an ideographic space
    ("  138 1234 5678  ", MOBILE),
    ("0371-6123 4567", LANDLINE),
    ("0371-61234567", LANDLINE),
    ("037161234567", LANDLINE),
    ("(0371)61234567", LANDLINE),
    ("（０３７１）６１２３－４５６７", LANDLINE),  # full-width brackets and dash
    ("+86 371 6123 4567", LANDLINE),
    ("+86 (0)371 6123 4567", LANDLINE),
    ("010-12345678", "+861012345678"),  # Beijing: two-digit area code
    ("021 6123 4567", "+862161234567"),
    ("400 812 3456", "+864008123456"),
    ("+1 212 555 0123", "+12125550123"),
])
def test_normalise_accepts_common_forms(text: str, e164: str) -> None:
    assert normalise(text) == e164


@pytest.mark.parametrize("text, reason", [
    ("12345", "too short"),
    ("110", "too short"),
    ("", "empty"),
    ("   ", "empty"),
    ("abc", "unexpected character 'a'"),
    ("1381234567", "a mobile number has 11 digits, this has 10"),
    ("138123456789", "a mobile number has 11 digits, this has 12"),
    ("61234567", "a landline needs its area code"),
    ("010-123456", "no such number range"),  # not "a mobile number has 11 digits"
    ("+999 1234567", "unknown country code"),
    ("1" * 41, "too long"),
    ("0371612345", "no such number range"),
    ("138;139", "unexpected character ';'"),
])
def test_normalise_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalise(text)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)
    assert "is not a valid phone number" in str(caught.value)


def test_huge_input_is_an_error_not_a_hang() -> None:
    with pytest.raises(PhoneError, match="too long"):
        normalise("1" * 100_000)


@pytest.mark.parametrize("e164, expected_kind, shown", [
    (MOBILE, "mobile", "138 1234 5678"),
    (LANDLINE, "landline", "0371 6123 4567"),
    ("+861012345678", "landline", "010 1234 5678"),
    ("+864008123456", "other", "400 812 3456"),
    ("+12125550123", "other", "+1 212-555-0123"),  # foreign: international form
])
def test_kind_and_display(e164: str, expected_kind: str, shown: str) -> None:
    assert kind(e164) == expected_kind
    assert display(e164) == shown
    assert normalise(shown) == e164  # what we show can be typed back in


def test_kind_refuses_non_e164() -> None:
    with pytest.raises(PhoneError):
        kind("not a number")


def test_display_never_raises() -> None:
    assert display("garbage") == "garbage"
    assert display("") == ""


# --- extensions ------------------------------------------------------------------------

HANGZHOU = "+8657188886666"
EXTENSION_FORMS = [
    "0571 8888 6666 ext 123", "0571 8888 6666 ext. 123", "0571-88886666 EXT123",
    "0571-88886666 x123", "0571-88886666 X 123", "0571-88886666#123",
    "057188886666转123", "0571-8888-6666 转 123", "0571-8888-6666 分机 123",
    "0571-8888-6666转分机123", "0571-8888-6666-123", "+86 571 8888 6666-123",
    "+8657188886666;ext=123",  # the stored form reads back
    "０５７１－８８８８－６６６６　转　１２３", "０５７１８８８８６６６６ｘ１２３",  # full-width
    "（０５７１）８８８８６６６６－１２３",
]


@pytest.mark.parametrize("text", EXTENSION_FORMS)
def test_an_extension_is_split_from_the_main_number(text: str) -> None:
    assert phones.normalise_with_extension(text) == (HANGZHOU, "123")
    assert normalise(text) == HANGZHOU  # the main number, not an error
    main, ext = phones.split_extension(text)
    assert ext == "123" and normalise(main) == HANGZHOU
    assert phones.without_extension(text) == main


@pytest.mark.parametrize("text", [t for t in EXTENSION_FORMS  # phonenumbers' own markers
                                  if set("eExX#") & set(unicodedata.normalize("NFKC", t))])
def test_latin_markers_agree_with_phonenumbers(text: str) -> None:
    number = pn.parse(unicodedata.normalize("NFKC", text), "CN")
    assert (pn.format_number(number, pn.PhoneNumberFormat.E164), number.extension) == (
        phones.normalise_with_extension(text))


@pytest.mark.parametrize("text, e164", [
    ("0571-8888-6666", HANGZHOU),  # not 0571-8888 extension 6666
    ("138-1234-5678", MOBILE),  # not 138-1234 extension 5678
    ("0371-6123-4567", LANDLINE),
    ("010-1234-5678", "+861012345678"),
])
def test_a_dash_group_is_an_extension_only_after_a_whole_number(text: str, e164: str) -> None:
    assert phones.normalise_with_extension(text) == (e164, "")
    assert phones.split_extension(text) == (text, "")
    assert phones.without_extension(text) == text


@pytest.mark.parametrize("text, reason", [
    ("ext", "no phone number before the extension 'ext'"),
    ("转", "no phone number before the extension '转'"),
    ("x123", "no phone number before the extension 'x'"),
    ("123转", "nothing after '转': an extension is 1 to 6 digits"),
    ("0571-88886666 ext", "nothing after 'ext'"),
    ("0571-88886666 分机", "nothing after '分机'"),
    ("0571-88886666 x12a", "unexpected character 'a' in the extension"),
    ("0571-88886666 x 12 3", "unexpected character ' ' in the extension"),
    ("0571-88886666 x1#2", "unexpected character '#' in the extension"),
    ("0571-88886666 x1234567", "an extension has at most 6 digits, this has 7"),
    ("0571 x 123", "too short"),  # the main number's own reason
    ("138-1234-5678-9", "a mobile number has 11 digits, this has 12"),  # a typo, no extension
    ("0571-8888-6666-1234567", "too long"),  # 7 digits: not an extension
    ("zhang x", "unexpected character 'z'"),
    ("0571-88886666 转" + "1" * 194, "too long"),
    ("1" * 190 + " x123", "too long"),
])
def test_a_bad_extension_is_refused_with_a_reason(text: str, reason: str) -> None:
    for parse in (normalise, phones.normalise_with_extension):
        with pytest.raises(PhoneError) as caught:
            parse(text)
        assert reason in caught.value.reason
        assert "is not a valid phone number" in str(caught.value)
        assert len(str(caught.value)) < 150  # the 200-character junk is not echoed whole
    assert phones.without_extension(text) == text  # lookups: never raises


def test_split_extension_is_only_a_split() -> None:
    assert phones.split_extension("12345 x1") == ("12345", "1")  # normalise judges "12345"
    assert phones.split_extension("138 1234 5678") == ("138 1234 5678", "")
    assert phones.split_extension("zhang x") == ("zhang x", "")
    for junk in ("ext", "转", "123转", "1" * 200):
        with pytest.raises(PhoneError):
            phones.split_extension(junk)


def test_stored_form_and_display() -> None:
    stored = phones.with_extension(HANGZHOU, "123")
    assert stored == "+8657188886666;ext=123"
    assert phones.with_extension(HANGZHOU, "") == HANGZHOU
    assert display(stored) == "0571 8888 6666 ext. 123"
    assert phones.normalise_with_extension(display(stored)) == (HANGZHOU, "123")


def test_imports_still_refuse_an_extension() -> None:
    """A customer's phone has nowhere to keep an extension: bulk imports say so rather
    than drop it."""
    for text in ("0571-88886666 x123", "057188886666转123", "0571-8888-6666-123"):
        with pytest.raises(PhoneError):
            phones.normalise_with_kind(text)


# --- properties ---------------------------------------------------------------------

mobile_digits = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


def _valid(digits: str) -> bool:
    return pn.is_valid_number(pn.parse(digits, "CN"))


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


@given(mobile_digits, st.sampled_from([
    "{d}", "{a} {b} {c}", "{a}-{b}-{c}", "+86 {a} {b} {c}", "+86-{d}", "0086{d}", "86{d}",
    "(+86) {d}", "+86 {a}.{b}.{c}", "{fw}",
]))
def test_valid_mobiles_in_any_format(digits: str, template: str) -> None:
    assume(_valid(digits))
    text = template.format(d=digits, a=digits[:3], b=digits[3:7], c=digits[7:],
                           fw=_full_width(digits))
    e164 = normalise(text)
    assert e164 == "+86" + digits
    assert kind(e164) == "mobile"
    assert normalise(display(e164)) == e164


def _reference(text: str) -> str | None:
    """What phonenumbers alone says: the behaviour the fast path must not change."""
    try:
        number = pn.parse(text, "CN")
    except pn.NumberParseException:
        return None
    if not pn.is_valid_number(number):
        return None
    return pn.format_number(number, pn.PhoneNumberFormat.E164)


def _ours(text: str) -> str | None:
    try:
        return normalise(text)
    except PhoneError:
        return None


@given(st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"(\+86|0086|86)1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"0[1-9][0-9]{8,10}", fullmatch=True),
    st.from_regex(r"\(0[1-9][0-9]{1,2}\)[0-9]{7,8}", fullmatch=True),
    st.from_regex(r"[0-9]{5,13}", fullmatch=True),
))
def test_fast_path_agrees_with_phonenumbers(text: str) -> None:
    assert _ours(text) == _reference(text)
    e164 = _ours(text)
    if e164:
        number = pn.parse(e164, None)
        assert phones.normalise_with_kind(text) == (e164, kind(e164))
        assert display(e164) == pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)


@pytest.mark.parametrize("prefix", range(130, 200))
def test_mobile_display_fast_path_matches_phonenumbers(prefix: int) -> None:
    e164 = f"+86{prefix}12345678"
    number = pn.parse(e164, None)
    assert display(e164) == pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
