"""Phone numbers: whatever a caller or a spreadsheet says -> E.164, and back for display.

``phonenumbers`` (libphonenumber's metadata) does the real work. This module adds the
clean-up Chinese data needs (full-width digits and brackets, ``(0371)`` area codes) and
error reasons an agent can act on. A number may carry an extension (``ext 123``, ``x123``,
``转123``, ``分机 123``, ``#123``, a trailing ``-123``): :func:`normalise` gives the main number,
:func:`normalise_with_extension` both.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers as pn
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as VR

DEFAULT_REGION = "CN"
MAX_INPUT = 40  # the longest sensible written form; anything longer is junk, not a number
MAX_EXTENSION = 6  # digits
_MAX_WITH_EXTENSION = MAX_INPUT + 20  # room for a marker and the extension's digits

# After NFKC (full-width -> ASCII) a written number is digits and a little punctuation.
# Letters are refused: phonenumbers would read vanity letters ("ext" alone is 398) and
# silently drop a bare "x"; an extension is split off first (see _split), by its marker.
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


# An extension's marker: ext / ext. / x / X / # / 转 / 分机 (after NFKC), and RFC 3966's
# ";ext=" (what a contact stores, so a stored number reads back). The first marker splits.
_MARKER = re.compile(r"\s*(;ext=|ext\.?|[x#]|转分机|分机号?|转)\s*", re.IGNORECASE)
_EXT_DIGITS = re.compile(r"[0-9]+")
# A trailing dash group: "0571-8888-6666-123". Split off only when the whole is not a
# number and what is left is one (see _split).
_DASH_GROUP = re.compile(r"(.*[0-9)])\s*-\s*([0-9]{1,%d})" % MAX_EXTENSION)


def _split(text: str, region: str, whole_refused: bool = False
           ) -> tuple[str, str, tuple[pn.PhoneNumber, int] | None]:
    """``(main text, extension digits or "", the main number when already parsed)``.

    Raises :class:`PhoneError` for a marker without a usable extension (``ext``, ``123转``,
    ``x12a``) and for junk too long to be a number; never for the main part, which is the
    caller's to parse. ``whole_refused``: the caller already failed to parse ``text`` whole.
    """
    cleaned = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    if not cleaned:
        raise PhoneError(text, "empty")
    if len(cleaned) > _MAX_WITH_EXTENSION:
        raise PhoneError(text[:MAX_INPUT] + "…", "too long")
    found = _MARKER.search(cleaned)
    if found:
        main, ext, marker = cleaned[:found.start()], cleaned[found.end():], found.group(1)
        if not _ALLOWED.fullmatch(main):
            return text, "", None  # "zhang x": not a number, whatever follows
        if not main:
            raise PhoneError(text, f"no phone number before the extension {marker!r}")
        if not ext:
            raise PhoneError(text, f"nothing after {marker!r}: an extension is 1 to "
                                   f"{MAX_EXTENSION} digits")
        bad = _EXT_DIGITS.sub("", ext)
        if bad:
            raise PhoneError(text, f"unexpected character {bad[0]!r} in the extension")
        if len(ext) > MAX_EXTENSION:
            raise PhoneError(text, f"an extension has at most {MAX_EXTENSION} digits, "
                                   f"this has {len(ext)}")
        return main, ext, None
    dash = _DASH_GROUP.fullmatch(cleaned)
    if dash is None:
        return text, "", None
    if not whole_refused:
        try:
            return text, "", _parse(cleaned, region)  # "0571-8888-6666" is one number
        except PhoneError:
            pass
    try:
        main = _parse(dash.group(1), region)
    except PhoneError:
        return text, "", None
    if main[1] == PhoneNumberType.MOBILE:
        return text, "", None  # mobiles have no extensions: "138-1234-5678-9" is a typo
    return dash.group(1), dash.group(2), main


def split_extension(text: str, region: str = DEFAULT_REGION) -> tuple[str, str]:
    """``"0571-88886666 x123"`` -> ``("0571-88886666", "123")``; ``(text, "")`` when there
    is no extension. The main part comes back NFKC-normalised; it is not checked (that is
    :func:`normalise`'s job) except for a trailing dash group, which is an extension only
    when the rest is a valid number and the whole is not. Raises :class:`PhoneError` for a
    marker without 1-6 digits after it or nothing before it."""
    main, ext, _ = _split(text, region)
    return main, ext


def _parse_extended(text: str, region: str) -> tuple[pn.PhoneNumber, int, str]:
    try:
        return (*_parse(text, region), "")  # the usual case: no extension, one parse
    except PhoneError as refused:
        error = refused
    main, ext, parsed = _split(text, region, whole_refused=True)
    if not ext:
        raise error
    if parsed is None:
        try:
            parsed = _parse(main, region)
        except PhoneError as exc:
            raise PhoneError(text, exc.reason) from None
    return (*parsed, ext)


def normalise(text: str, region: str = DEFAULT_REGION) -> str:
    """``"138 1234 5678"`` -> ``"+8613812345678"``; raises :class:`PhoneError`.
    An extension is dropped: ``"0571-88886666 转123"`` -> ``"+8657188886666"``."""
    return pn.format_number(_parse_extended(text, region)[0], PhoneNumberFormat.E164)


def normalise_with_extension(text: str, region: str = DEFAULT_REGION) -> tuple[str, str]:
    """``"0571-88886666 x123"`` -> ``("+8657188886666", "123")``; ``(e164, "")`` without
    an extension. Raises :class:`PhoneError`."""
    number, _, ext = _parse_extended(text, region)
    return pn.format_number(number, PhoneNumberFormat.E164), ext


def with_extension(e164: str, extension: str) -> str:
    """The stored form of a number and its extension, RFC 3966's: ``+8657188886666;ext=123``
    (:func:`display` shows it, :func:`normalise_with_extension` reads it back)."""
    return f"{e164};ext={extension}" if extension else e164


def without_extension(text: str, region: str = DEFAULT_REGION) -> str:
    """For lookups: the main number's text when ``text`` is a valid number with an
    extension, else ``text`` unchanged. Never raises."""
    try:
        main, ext, parsed = _split(text, region)
        if ext and parsed is None:
            _parse(main, region)
    except PhoneError:
        return text
    return main if ext else text


def normalise_with_kind(text: str, region: str = DEFAULT_REGION) -> tuple[str, str]:
    """``(e164, kind)`` from one parse: bulk imports call this per phone. A number with an
    extension is refused: a customer's phone has nowhere to keep one."""
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

