"""Phone numbers: whatever a caller or a spreadsheet says -> E.164, and back for display.

``phonenumbers`` (libphonenumber's metadata) does the real work. This module adds the
clean-up Chinese data needs (full-width digits and brackets, ``(0371)`` area codes) and
error reasons an agent can act on.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers as pn
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as VR

DEFAULT_REGION = "CN"
MAX_INPUT = 40  # the longest sensible written form; anything longer is junk, not a number

# After NFKC (full-width -> ASCII) a written number is digits and a little punctuation.
# Letters are refused: phonenumbers would read "ext 12" / vanity letters and silently drop
# or convert them, and an extension we cannot store must not vanish.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\u30fc"})
_ALLOWED = re.compile(r"[0-9+\-(). ]*")

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_KINDS = {PhoneNumberType.MOBILE: "mobile", PhoneNumberType.FIXED_LINE: "landline"}


class PhoneError(ValueError):
    """Text that is not a usable phone number; ``reason`` says why in a few words."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"{text!r} is not a valid phone number ({reason})")


def _clean(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    if not cleaned:
        raise PhoneError(text, "empty")
    if len(cleaned) > MAX_INPUT:
        raise PhoneError(text[:MAX_INPUT] + "…", "too long")
    bad = _ALLOWED.sub("", cleaned)
    if bad:
        raise PhoneError(text, f"unexpected character {bad[0]!r}")
    return cleaned


_MOBILE_STARTS = {f"1{d}" for d in range(3, 10)}  # 010 (Beijing) is a landline


def _invalid_reason(number: pn.PhoneNumber, region: str) -> str:
    possible = pn.is_possible_number_with_reason(number)
    nsn = pn.national_significant_number(number)
    if number.country_code == 86 and region == "CN":
        if nsn[:2] in _MOBILE_STARTS and len(nsn) != 11 and len(nsn) > 6:
            return f"a mobile number has 11 digits, this has {len(nsn)}"
        if len(nsn) in (7, 8) and not nsn.startswith("1"):
            return "a landline needs its area code, e.g. 0371-6123 4567"
    if possible in (VR.TOO_SHORT, VR.IS_POSSIBLE_LOCAL_ONLY):
        return "too short"
    if possible == VR.TOO_LONG:
        return "too long"
    if possible == VR.INVALID_LENGTH:
        return "wrong number of digits"
    return "no such number range"


# Fast path for the bulk of the data: CN mobiles and landlines written as plain digits
# (``138 1234 5678``, ``0371-6123 4567``). Here phonenumbers' parser only drops the trunk
# "0" and the separators, so we build the number directly (a test checks both agree);
# that makes a 100,000-row import seconds faster. Validity is still phonenumbers' call.
_CN_FAST = re.compile(r"(?:(?:\+|00)?86)?(1[3-9][0-9]{9})|0([1-9][0-9]{8,10})")
_SEPARATORS = str.maketrans("", "", " -()")
_E164_CN_MOBILE = re.compile(r"\+861[3-9][0-9]{9}")


def _parse(text: str, region: str) -> tuple[pn.PhoneNumber, int]:
    cleaned = _clean(text)
    fast = _CN_FAST.fullmatch(cleaned.translate(_SEPARATORS)) if region == "CN" else None
    if fast:
        number = pn.PhoneNumber(country_code=86, national_number=int(fast.group(1)
                                                                     or fast.group(2)))
    else:
        try:
            number = pn.parse(cleaned, region)
        except NumberParseException as exc:
            reason = _PARSE_REASONS.get(exc.error_type, "not a phone number")
            raise PhoneError(text, reason) from None
    # is_valid_number(n) is number_type(n) != UNKNOWN; one call answers both questions.
    number_type = pn.number_type(number)
    if number_type == PhoneNumberType.UNKNOWN:
        raise PhoneError(text, _invalid_reason(number, region))
    return number, number_type


def normalise(text: str, region: str = DEFAULT_REGION) -> str:
    """``"138 1234 5678"`` -> ``"+8613812345678"``; raises :class:`PhoneError`."""
    return pn.format_number(_parse(text, region)[0], PhoneNumberFormat.E164)


def normalise_with_kind(text: str, region: str = DEFAULT_REGION) -> tuple[str, str]:
    """``(e164, kind)`` from one parse: bulk imports call this per phone."""
    number, number_type = _parse(text, region)
    return pn.format_number(number, PhoneNumberFormat.E164), _KINDS.get(number_type, "other")


def _from_e164(e164: str) -> pn.PhoneNumber:
    rest = e164[3:]
    if e164.startswith("+86") and rest.isascii() and rest.isdigit() and rest[:1] != "0":
        return pn.PhoneNumber(country_code=86, national_number=int(rest))  # no parse needed
    return pn.parse(e164, None)


def kind(e164: str) -> str:
    """``"mobile"``, ``"landline"`` or ``"other"`` (400 numbers, ambiguous foreign ranges)."""
    try:
        number = _from_e164(e164)
    except NumberParseException:
        raise PhoneError(e164, "not in E.164 form (+86…)") from None
    return _KINDS.get(pn.number_type(number), "other")


def display(e164: str, region: str = DEFAULT_REGION) -> str:
    """National form for home numbers (``138 1234 5678``, ``0371 6123 4567``), international
    otherwise. Never raises: a stored value that does not parse is shown as it is."""
    if region == "CN" and _E164_CN_MOBILE.fullmatch(e164):  # exports call this per phone
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"  # phonenumbers' 3-4-4 (a test checks)
    try:
        number = _from_e164(e164)
    except NumberParseException:
        return e164
    if pn.region_code_for_number(number) == region:
        return pn.format_number(number, PhoneNumberFormat.NATIONAL)
    return pn.format_number(number, PhoneNumberFormat.INTERNATIONAL)

