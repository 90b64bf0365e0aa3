"""Phone normalisation: the forms agents and spreadsheets use, and plain error reasons."""

from __future__ import annotations

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
    ("13812345678转123", "unexpected character '转'"),
    ("138 1234 5678 ext 12", "unexpected character 'e'"),  # an extension must not vanish
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
