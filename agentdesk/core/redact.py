"""Secrets are never shown: the central store's URL (or a libpq ``key=value`` DSN) as it
may be displayed, and any text (a driver's error, a log line, a status) with that URL's
secrets taken out.

Every message, log line and screen that names the central store goes through
:func:`shown_url` (the address) or :func:`redact` (text that may quote it). A password
is masked wherever it sits: in the userinfo (``user:***@host``, an ``@`` inside it
included: the userinfo ends at the last ``@``), in the query string (``?password=***``)
or as a DSN value (``password=***``). A URL that cannot be read with certainty shows
nothing after its scheme (``postgresql://***``).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, unquote_plus

MASK = "***"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://(.*)\Z", re.S)
# Query or DSN keys whose values are secret (password, sslpassword, passwd, pwd, token...).
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|auth|cred", re.I)
# One libpq DSN pair: key = value, the value bare or single-quoted with \-escapes (an
# unclosed quote runs to the end: all of it is the value).
_PAIR = re.compile(r"\s*(?P<key>[A-Za-z_][\w.\-]*)\s*=\s*"
                   r"(?P<value>'(?:[^'\\]|\\.)*(?:'|\Z)|[^\s']*)(?=\s|\Z)", re.S)
# In any text: a URL's userinfo password, and key=value secrets.
_URL_IN_TEXT = re.compile(r"(?P<head>[A-Za-z][\w+.\-]*://[^\s:/@'\"]*:)[^\s'\"]*@")
_PAIR_IN_TEXT = re.compile(
    r"(?P<key>\b[\w.\-]*(?:pass|pwd|secret|token)[\w.\-]*)(?P<eq>\s*=\s*|%3[dD])"
    r"(?P<value>\*\*\*(?=[\s:;,)&]|\Z)|'(?:[^'\\]|\\.)*'?|[^\s&'\";,)]+)", re.I)
_SHORT = 4  # secrets shorter than this are masked only as whole words (not inside others)


def shown_url(url: str) -> str:
    """``url`` (a central store URL or libpq DSN) as it may be shown: no password."""
    text = str(url or "").strip()
    if not text:
        return ""
    match = _SCHEME.match(text)
    if match is None:
        pairs = _pairs(text)
        if pairs is None:
            return MASK  # neither a URL nor a DSN: it could be anything, a password too
        return " ".join(f"{k}={MASK}" if _SECRET_KEY.search(k) else f"{k}={v}"
                        for k, v in pairs)
    scheme, rest = match.groups()
    parts = _split(rest)
    if parts is None:
        return f"{scheme}://{MASK}"
    userinfo, hostpath, query, fragment = parts
    shown = f"{scheme}://"
    if userinfo is not None:
        user, colon, _password = userinfo.partition(":")
        shown += f"{user}:{MASK}@" if colon else f"{userinfo}@"
    shown += hostpath
    if query is not None:
        shown += "?" + "&".join(_shown_param(p) for p in query.split("&"))
    if fragment is not None:
        shown += "#" + MASK
    return shown


def redact(text: object, *urls: str) -> str:
    """``text`` with every secret of ``urls`` masked (raw, percent-decoded, and the
    whole URL replaced by :func:`shown_url`), and any URL password or ``password=``
    value written in it masked too."""
    out = str(text)
    for url in urls:
        if not url:
            continue
        out = out.replace(url, shown_url(url))
        for secret in sorted(secrets_of(url), key=len, reverse=True):
            if len(secret) >= _SHORT:
                out = out.replace(secret, MASK)
            else:
                out = re.sub(rf"(?<![\w@]){re.escape(secret)}(?![\w@])", MASK, out)
    out = _URL_IN_TEXT.sub(lambda m: f"{m['head']}{MASK}@", out)
    return _PAIR_IN_TEXT.sub(lambda m: f"{m['key']}{m['eq']}{MASK}", out)


def secrets_of(url: str) -> set[str]:
    """Every form in which ``url``'s secrets could be quoted back: the password as
    written and decoded (read up to the first ``@`` and up to the last), secret query
    and DSN values; for a URL that cannot be read, everything after the scheme."""
    text = str(url or "").strip()
    found: set[str] = set()
    match = _SCHEME.match(text)
    if match is None:
        pairs = _pairs(text)
        if pairs is None:  # perhaps a URL without its scheme: its parts as well
            found.update((text, *secrets_of(f"x://{text}")))
        else:
            for key, value in pairs:
                if _SECRET_KEY.search(key):
                    found.update((value, _unquoted(value)))
    else:
        rest = match.group(2)
        before = re.split(r"[?#]", rest, maxsplit=1)[0]
        if _split(rest) is None:  # whatever follows a colon may be a password
            after = rest.partition(":")[2]
            found.update((rest, after, after.rpartition("@")[0],
                          re.split(r"[/@]", after, maxsplit=1)[0]))
        if "@" in before and not before.startswith("/"):
            password = before.rpartition("@")[0].partition(":")[2]
            # read up to the last @ (as shown) and, as a driver may, up to the first
            for piece in (password, *password.split("@")):
                found.update((piece, unquote(piece)))
        head = rest.split("/", 1)[0]  # a password may hold an unencoded # or ?, never /
        if "@" in head and re.search(r"[?#]", head.rpartition("@")[0]):
            password = head.rpartition("@")[0].partition(":")[2]
            for piece in (password, *re.split(r"[@#?]", password)):
                found.update((piece, unquote(piece)))
        query = rest.split("?", 1)[1].split("#", 1)[0] if "?" in rest else ""
        for param in query.split("&"):
            key, eq, value = param.partition("=")
            if eq and _SECRET_KEY.search(unquote_plus(key)):
                found.update((value, unquote(value), unquote_plus(value)))
        if "#" in rest:
            found.add(rest.split("#", 1)[1])
    return {s for s in found if s}


def read_alike(url: str) -> bool:
    """Whether ``url`` is a URL that every reader takes as :func:`shown_url` does: a
    scheme, a host part that can be read, and at most one ``@`` before the host."""
    match = _SCHEME.match(str(url or "").strip())
    return bool(match) and _split(match.group(2)) is not None and not at_in_userinfo(url)


def at_in_userinfo(url: str) -> bool:
    """An ``@`` inside the userinfo (a password with an unencoded ``@``): drivers read
    up to the first one, this module up to the last, so the URL cannot be trusted."""
    match = _SCHEME.match(str(url or "").strip())
    if match is None:
        return False
    before = re.split(r"[?#]", match.group(2), maxsplit=1)[0]
    return not before.startswith("/") and before.count("@") > 1


def guard_logging() -> None:
    """Every log record of this process (agentdesk's, SQLAlchemy's, the driver's) has its
    message and its traceback text passed through :func:`redact` when it is made."""
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def redacted(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's own report
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    redacted.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacted)


def _split(rest: str) -> tuple[str | None, str, str | None, str | None] | None:
    """(userinfo, host and path, query, fragment) of what follows ``scheme://``; None
    when it cannot be read with certainty."""
    start = re.split(r"[?#]", rest, maxsplit=1)
    if len(start) == 2 and "@" in start[1]:
        # an unencoded # or ? in the password (also after an @ in it: "0@#000"): where it
        # ends is a guess; an @ in a real query or fragment is masked with it, the safe side
        return None
    rest, hashmark, fragment = rest.partition("#")
    before, question, query = rest.partition("?")
    userinfo = None
    if "@" in before and not before.startswith("/"):
        userinfo, _, before = before.rpartition("@")  # an @ in the password: the last one
    host = before.split("/", 1)[0]
    if userinfo is None and not _plain_hosts(host):
        return None  # "user:password" without a host, or worse: show none of it
    if any(c.isspace() for c in host):
        return None
    return (userinfo, before, query if question else None, fragment if hashmark else None)


def _plain_hosts(hosts: str) -> bool:
    """host[:port][,host[:port]...] with numeric ports (IPv6 in brackets)."""
    for one in hosts.split(","):
        if one.startswith("["):
            one = one.partition("]")[2]
            if one and not re.fullmatch(r":\d*", one):
                return False
        elif ":" in one and not one.rpartition(":")[2].isdigit():
            return False
    return True


def _shown_param(param: str) -> str:
    key, eq, _value = param.partition("=")
    if not eq:
        return param if not param else MASK  # a bare word in a query: could be anything
    return f"{key}={MASK}" if _SECRET_KEY.search(unquote_plus(key)) else param


def _pairs(text: str) -> list[tuple[str, str]] | None:
    """The pairs of a libpq DSN (``host=h password='a b'``); None when ``text`` is not
    one through and through."""
    pairs, pos = [], 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        match = _PAIR.match(text, pos)
        if match is None:
            return None
        pairs.append((match["key"], match["value"]))
        pos = match.end()
    return pairs or None


def _unquoted(value: str) -> str:
    if value.startswith("'"):
        value = value[1:-1] if value.endswith("'") and len(value) > 1 else value[1:]
        value = re.sub(r"\\(.)", r"\1", value)
    return value
