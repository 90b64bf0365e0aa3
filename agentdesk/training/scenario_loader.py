"""Reading a scenario file (no textual import): the TOML is checked key by key against
the format (see :mod:`agentdesk.training.scenario`), and a mistake is a
:class:`ScenarioError` naming the file, the line and the reason (tomllib reports lines for
syntax errors only; for everything else the line of the offending key is found in the
text: :func:`locate`). Also the shipped scenarios and knowledge-base article titles."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from agentdesk.training.scenario_model import (CALLBACK_PHRASES, DEFAULT_AUTO_SECONDS,
                                               DEFAULT_PASS, TICKET_STATUSES, UTILITIES,
                                               WHERE, Check, ContactSpec, CustomerSpec,
                                               Escalation, Line, NoticeSpec, Scenario,
                                               ScenarioError, TicketSpec)

SCENARIO_DIR = Path(__file__).parent / "scenarios"

# Every check kind: the keys it takes (beyond id, kind, weight, label) and which are required.
CHECK_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "greeting": ((), ()),
    "lookup": (("customer",), ()),  # customer: the caller when not given
    "ticket": (("category", "priority", "customer"), ("category",)),
    "no_ticket": (("business_type", "customer"), ()),
    "notice": (("notice",), ("notice",)),
    "linked": (("ticket",), ("ticket",)),
    "article": (("article",), ("article",)),
    "callback": (("phrases", "customer"), ()),
    "vulnerability": (("customer",), ()),
    "promise": ((), ()),
    "phrase": (("phrases", "where"), ("phrases",)),
    "forbid": (("phrases", "where"), ("phrases",)),
    "no_escalation": ((), ()),
}
COMMON_CHECK_KEYS = ("id", "kind", "weight", "label")

TOP_KEYS = ("title", "level", "utility", "start", "brief", "pass_mark", "hidden",
            "auto_seconds", "caller", "customer", "notice", "ticket", "contact", "line",
            "escalation", "check")
CALLER_KEYS = ("customer", "number", "persona")
CUSTOMER_KEYS = ("key", "account_no", "name", "utility", "phones", "customer_class",
                 "district", "street", "community", "building", "unit", "room", "area_class",
                 "meter_no", "meter_type", "credit_list", "arrears_yuan", "arrears_periods",
                 "tags", "key_level")
NOTICE_KEYS = ("key", "utility", "kind", "cause", "title", "district", "street", "community",
               "starts", "ends")
TICKET_KEYS = ("key", "customer", "category", "description", "created", "status")
CONTACT_KEYS = ("customer", "at", "note", "channel")
LINE_KEYS = ("text", "ask")
ESCALATION_KEYS = ("said", "after_minutes", "text")
_OFFSET = re.compile(r"^([+-])(\d+(?:\.\d+)?)([mhd])$")


# --- finding lines ------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")


def _key_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip().strip('"')


def locate(text: str, table: str | None = None, index: int = 0, key: str | None = None
           ) -> int | None:
    """The line (1-based) of ``key`` in the ``index``-th ``[[table]]`` (or ``[table]``, or
    the top level when ``table`` is None); the table's header line when the key is not
    written there; None when not found."""
    counts: dict[str, int] = {}
    current: tuple[str, int] | None = None  # (table, index); None: top level
    header_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.strip().startswith("#") and "=" not in line.split("]")[0]:
            name = header.group(2).strip('"')
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                current = (name, counts[name])
            else:
                current = (name, 0)
            if table is not None and current == (table, index):
                header_line = number
                if key is None:
                    return number
            continue
        inside = (current is None) if table is None else (current == (table, index))
        if inside and key is not None and _key_of(line) == key:
            return number
    return header_line


# --- parsing ------------------------------------------------------------------------------


class _Reader:
    """Values out of the parsed TOML, each mistake raised with its line."""

    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, reason: str, table: str | None = None, index: int = 0,
             key: str | None = None) -> ScenarioError:
        return ScenarioError(self.path, locate(self.text, table, index, key), reason)

    def keys(self, data: dict, allowed: tuple[str, ...], table: str | None, index: int = 0
             ) -> None:
        for key in data:
            if key not in allowed:
                where = f"[[{table}]]" if table else "the top level"
                raise self.fail(f"unknown key {key!r} in {where} (known: "
                                f"{', '.join(allowed)})", table, index, key)

    def text_value(self, data: dict, key: str, table: str | None, index: int = 0,
                   required: bool = False, default: str = "") -> str:
        if key not in data:
            if required:
                where = f"[[{table}]]" if table else "the scenario"
                raise self.fail(f"{where} needs {key!r}", table, index)
            return default
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(f"{key} must be text, not {value!r}", table, index, key)
        if required and not value.strip():
            raise self.fail(f"{key} must not be empty", table, index, key)
        return value.strip()

    def int_value(self, data: dict, key: str, table: str | None, index: int = 0,
                  default: int = 0, low: int = 0, high: int = 10 ** 9) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(f"{key} must be a whole number from {low} to {high}, not "
                            f"{value!r}", table, index, key)
        return value

    def number(self, data: dict, key: str, table: str | None, index: int = 0,
               default: float | None = None) -> float | None:
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(f"{key} must be a number not below 0, not {value!r}", table,
                            index, key)
        return float(value)

    def texts(self, data: dict, key: str, table: str | None, index: int = 0) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise self.fail(f"{key} must be a list of non-empty texts", table, index, key)
        return tuple(v.strip() for v in value)

    def when(self, data: dict, key: str, table: str, index: int, start: datetime,
             default: str | None = None) -> datetime:
        from agentdesk.core import clock

        value = data.get(key, default)
        if value is None:
            raise self.fail(f"[[{table}]] needs {key!r}", table, index)
        if isinstance(value, datetime):
            value = value.isoformat()
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a time (ISO with an offset) or an offset like "
                            f"\"-2h\", not {value!r}", table, index, key)
        offset = _OFFSET.match(value.strip())
        if offset:
            sign, amount, unit = offset.groups()
            delta = timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]:
                                 float(amount)})
            return start + delta if sign == "+" else start - delta
        try:
            return clock.parse_instant(value)
        except clock.ClockError as exc:
            raise self.fail(f"{key}: {exc}", table, index, key) from None

    def tables(self, data: dict, name: str) -> list[dict]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"{name} must be written as [[{name}]] tables", None, 0, name)
        return value


def parse(text: str, path: Path | str, known_articles: frozenset[str] | None = None
          ) -> Scenario:
    """Parse and validate one scenario; :class:`ScenarioError` on the first mistake."""
    from agentdesk.core import clock
    from agentdesk.customers import phones
    from agentdesk.tickets import taxonomy

    path = Path(path)
    source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ScenarioError(source, int(line.group(1)) if line else None,
                            f"not valid TOML: {exc}") from None
    r = _Reader(source, text)
    r.keys(data, TOP_KEYS, None)
    title = r.text_value(data, "title", None, required=True)
    level = r.int_value(data, "level", None, default=1, low=1, high=3)
    utility = r.text_value(data, "utility", None, required=True)
    if utility not in UTILITIES:
        raise r.fail(f"utility must be one of {', '.join(UTILITIES)}, not {utility!r}",
                     None, 0, "utility")
    start_text = data.get("start")
    if isinstance(start_text, datetime):
        start_text = start_text.isoformat()
    if not isinstance(start_text, str):
        raise r.fail("the scenario needs 'start': an ISO time with an offset, e.g. "
                     "\"2026-10-02T02:00:00+08:00\"", None, 0, "start")
    try:
        start = clock.parse_instant(start_text)
    except clock.ClockError as exc:
        raise r.fail(f"start: {exc}", None, 0, "start") from None
    pass_mark = r.int_value(data, "pass_mark", None, default=DEFAULT_PASS, low=1, high=100)
    auto = r.number(data, "auto_seconds", None, default=DEFAULT_AUTO_SECONDS) or 1.0

    tax = taxonomy.load()

    customers: list[CustomerSpec] = []
    for i, c in enumerate(r.tables(data, "customer")):
        r.keys(c, CUSTOMER_KEYS, "customer", i)
        key = r.text_value(c, "key", "customer", i, required=True)
        if any(k.key == key for k in customers):
            raise r.fail(f"customer key {key!r} used twice", "customer", i, "key")
        account = r.text_value(c, "account_no", "customer", i, required=True)
        if any(k.account_no == account for k in customers):
            raise r.fail(f"account number {account!r} used twice", "customer", i,
                         "account_no")
        c_utility = r.text_value(c, "utility", "customer", i, default=utility)
        if c_utility not in UTILITIES:
            raise r.fail(f"utility must be one of {', '.join(UTILITIES)}", "customer", i,
                         "utility")
        numbers = []
        for raw in r.texts(c, "phones", "customer", i):
            try:
                # a customer's phone has nowhere to keep an extension: refused, as
                # the customer CSV import refuses it, never silently dropped
                numbers.append(phones.normalise_with_kind(raw)[0])
            except phones.PhoneError as exc:
                raise r.fail(f"phone {raw!r}: {exc}", "customer", i, "phones") from None
        area = r.text_value(c, "area_class", "customer", i, default="urban")
        if area not in ("urban", "rural", "remote"):
            raise r.fail("area_class must be urban, rural or remote", "customer", i,
                         "area_class")
        credit = r.text_value(c, "credit_list", "customer", i)
        if credit not in ("", "red", "grey", "black"):
            raise r.fail("credit_list must be red, grey, black or empty", "customer", i,
                         "credit_list")
        yuan = r.number(c, "arrears_yuan", "customer", i, default=0.0) or 0.0
        customers.append(CustomerSpec(
            key=key, account_no=account, name=r.text_value(c, "name", "customer", i,
                                                           required=True),
            utility=c_utility, phones=tuple(numbers),
            customer_class=r.text_value(c, "customer_class", "customer", i, default="居民"),
            **{k: r.text_value(c, k, "customer", i) for k in (
                "district", "street", "community", "building", "unit", "room", "meter_no",
                "meter_type")},
            area_class=area, credit_list=credit, arrears_fen=round(yuan * 100),
            arrears_periods=r.int_value(c, "arrears_periods", "customer", i, high=1000),
            tags=r.texts(c, "tags", "customer", i),
            key_level=r.int_value(c, "key_level", "customer", i, high=3)))
    customer_keys = {c.key for c in customers}

    def customer_ref(item: dict, table: str, i: int, required: bool = False) -> str:
        key = r.text_value(item, "customer", table, i, required=required)
        if key and key not in customer_keys:
            raise r.fail(f"customer {key!r} refers to no [[customer]] (known: "
                         f"{', '.join(sorted(customer_keys)) or 'none'})", table, i,
                         "customer")
        return key

    caller = data.get("caller", {})
    if not isinstance(caller, dict):
        raise r.fail("caller must be a [caller] table", None, 0, "caller")
    r.keys(caller, CALLER_KEYS, "caller")
    caller_customer = customer_ref(caller, "caller", 0)
    number = r.text_value(caller, "number", "caller")
    if number:
        try:
            number = phones.normalise(number)
        except phones.PhoneError as exc:
            raise r.fail(f"number {number!r}: {exc}", "caller", 0, "number") from None

    notices: list[NoticeSpec] = []
    for i, n in enumerate(r.tables(data, "notice")):
        r.keys(n, NOTICE_KEYS, "notice", i)
        key = r.text_value(n, "key", "notice", i, required=True)
        if any(x.key == key for x in notices):
            raise r.fail(f"notice key {key!r} used twice", "notice", i, "key")
        kind = r.text_value(n, "kind", "notice", i, default="planned")
        kind = "fault" if kind == "unplanned" else kind  # the word scenarios used first
        if kind not in ("planned", "fault", "arrears"):
            raise r.fail("kind must be planned, fault or arrears", "notice", i, "kind")
        n_utility = r.text_value(n, "utility", "notice", i, default=utility)
        if n_utility not in UTILITIES:
            raise r.fail(f"utility must be one of {', '.join(UTILITIES)}", "notice", i,
                         "utility")
        starts = r.when(n, "starts", "notice", i, start)
        ends = r.when(n, "ends", "notice", i, start)
        if ends <= starts:
            raise r.fail("ends must be after starts", "notice", i, "ends")
        notices.append(NoticeSpec(key, n_utility, kind, r.text_value(n, "cause", "notice", i),
                                  r.text_value(n, "title", "notice", i, required=True),
                                  r.text_value(n, "district", "notice", i, required=True),
                                  r.text_value(n, "street", "notice", i),
                                  r.text_value(n, "community", "notice", i), starts, ends))

    history: list[TicketSpec] = []
    for i, tk in enumerate(r.tables(data, "ticket")):
        r.keys(tk, TICKET_KEYS, "ticket", i)
        key = r.text_value(tk, "key", "ticket", i, required=True)
        if any(x.key == key for x in history):
            raise r.fail(f"ticket key {key!r} used twice", "ticket", i, "key")
        category = r.text_value(tk, "category", "ticket", i, required=True)
        if category not in tax.categories:
            raise r.fail(f"unknown category {category!r}", "ticket", i, "category")
        status = r.text_value(tk, "status", "ticket", i, default="accepted")
        if status not in TICKET_STATUSES:
            raise r.fail(f"status must be one of {', '.join(TICKET_STATUSES)}", "ticket", i,
                         "status")
        history.append(TicketSpec(key, customer_ref(tk, "ticket", i, required=True), category,
                                  r.text_value(tk, "description", "ticket", i, required=True),
                                  r.when(tk, "created", "ticket", i, start, "-1d"), status))

    contacts: list[ContactSpec] = []
    for i, ct in enumerate(r.tables(data, "contact")):
        r.keys(ct, CONTACT_KEYS, "contact", i)
        channel = r.text_value(ct, "channel", "contact", i, default="phone")
        if channel not in ("phone", "app", "wechat", "12345", "counter"):
            raise r.fail(f"unknown channel {channel!r}", "contact", i, "channel")
        contacts.append(ContactSpec(customer_ref(ct, "contact", i, required=True),
                                    r.when(ct, "at", "contact", i, start),
                                    r.text_value(ct, "note", "contact", i), channel))

    lines: list[Line] = []
    for i, ln in enumerate(r.tables(data, "line")):
        r.keys(ln, LINE_KEYS, "line", i)
        lines.append(Line(r.text_value(ln, "text", "line", i, required=True),
                          r.texts(ln, "ask", "line", i)))
    if not lines:
        raise r.fail("the caller has no lines: add [[line]] tables", None)
    if lines[0].ask:
        raise r.fail("the caller's first line cannot wait for a question", "line", 0, "ask")

    escalations: list[Escalation] = []
    for i, es in enumerate(r.tables(data, "escalation")):
        r.keys(es, ESCALATION_KEYS, "escalation", i)
        said = r.texts(es, "said", "escalation", i)
        after = r.number(es, "after_minutes", "escalation", i)
        if not said and after is None:
            raise r.fail("an escalation needs 'said' or 'after_minutes'", "escalation", i)
        escalations.append(Escalation(r.text_value(es, "text", "escalation", i,
                                                   required=True), said, after))

    notice_keys = {n.key for n in notices}
    ticket_keys = {tk.key for tk in history}
    checks: list[Check] = []
    for i, ck in enumerate(r.tables(data, "check")):
        kind = r.text_value(ck, "kind", "check", i, required=True)
        if kind not in CHECK_KEYS:
            raise r.fail(f"unknown check kind {kind!r} (known: {', '.join(CHECK_KEYS)})",
                         "check", i, "kind")
        allowed, required = CHECK_KEYS[kind]
        r.keys(ck, COMMON_CHECK_KEYS + allowed, "check", i)
        for key in required:
            if key not in ck:
                raise r.fail(f"a {kind!r} check needs {key!r}", "check", i)
        check_id = r.text_value(ck, "id", "check", i, default=f"{kind}-{i + 1}")
        if any(c.id == check_id for c in checks):
            raise r.fail(f"check id {check_id!r} used twice", "check", i, "id")
        values: dict[str, object] = {}
        if "customer" in allowed:
            values["customer"] = customer_ref(ck, "check", i) or caller_customer
            if not values["customer"] and kind in ("lookup", "vulnerability"):
                raise r.fail(f"a {kind!r} check refers to no customer", "check", i)
        if kind == "vulnerability":
            if not next(c for c in customers if c.key == values["customer"]).tags:
                raise r.fail(f"customer {values['customer']!r} has no vulnerability tags "
                             "to notice", "check", i, "customer")
        if "category" in ck:
            category = r.text_value(ck, "category", "check", i, required=True)
            if category not in tax.categories:
                raise r.fail(f"unknown category {category!r}", "check", i, "category")
            values["category"] = category
        if "priority" in ck:
            priority = r.text_value(ck, "priority", "check", i)
            if priority not in taxonomy.PRIORITIES:
                raise r.fail(f"priority must be one of {', '.join(taxonomy.PRIORITIES)}",
                             "check", i, "priority")
            values["priority"] = priority
        if kind == "no_ticket":
            btype = r.text_value(ck, "business_type", "check", i, default="repair")
            if btype not in tax.business_types:
                raise r.fail(f"unknown business type {btype!r}", "check", i, "business_type")
            values["business_type"] = btype
        if kind == "notice":
            ref = r.text_value(ck, "notice", "check", i, required=True)
            if ref not in notice_keys:
                raise r.fail(f"notice {ref!r} refers to no [[notice]]", "check", i, "notice")
            values["notice"] = ref
        if kind == "linked":
            ref = r.text_value(ck, "ticket", "check", i, required=True)
            if ref not in ticket_keys:
                raise r.fail(f"ticket {ref!r} refers to no [[ticket]]", "check", i, "ticket")
            values["ticket"] = ref
        if kind == "article":
            ref = r.text_value(ck, "article", "check", i, required=True)
            articles = known_articles if known_articles is not None else shipped_articles()
            if ref not in articles:
                raise r.fail(f"article {ref!r} is not in the knowledge base", "check", i,
                             "article")
            values["article"] = ref
        if "phrases" in allowed:
            phrases = r.texts(ck, "phrases", "check", i)
            if kind != "callback" and not phrases:
                raise r.fail(f"a {kind!r} check needs at least one phrase", "check", i,
                             "phrases")
            values["phrases"] = phrases or CALLBACK_PHRASES
        if "where" in allowed:
            where = r.text_value(ck, "where", "check", i, default="any")
            if where not in WHERE:
                raise r.fail(f"where must be one of {', '.join(WHERE)}", "check", i, "where")
            values["where"] = where
        checks.append(Check(id=check_id, kind=kind,
                            weight=r.int_value(ck, "weight", "check", i, default=10, low=1,
                                               high=100),
                            label=r.text_value(ck, "label", "check", i), **values))  # type: ignore[arg-type]
    if not checks:
        raise r.fail("the scenario has no rubric: add [[check]] tables", None)
    for c in checks:
        if c.kind == "no_ticket" and any(o.kind == "ticket" and (
                tax.categories[o.category].business_type == c.business_type) for o in checks):
            raise r.fail(f"check {c.id!r} forbids a {c.business_type!r} ticket another "
                         "check asks for: the scenario cannot be won", "check",
                         checks.index(c), "kind")

    return Scenario(
        id=path.stem, path=path, title=title, level=level, utility=utility, start=start,
        brief=r.text_value(data, "brief", None), pass_mark=pass_mark,
        hidden=r.texts(data, "hidden", None), auto_seconds=auto,
        caller_customer=caller_customer, caller_number=number,
        persona=r.text_value(caller, "persona", "caller"), customers=tuple(customers),
        notices=tuple(notices), tickets=tuple(history), contacts=tuple(contacts),
        lines=tuple(lines), escalations=tuple(escalations), checks=tuple(checks))


def shipped_articles() -> frozenset[str]:
    """The ids of the knowledge-base articles every training database gets."""
    return frozenset(article_titles())


@cache
def article_titles() -> dict[str, str]:
    """Shipped knowledge-base articles: id -> title (read once per process)."""
    from agentdesk.kb import loader

    titles = {}
    for path in sorted(loader.SHIPPED_DIR.glob("*.md")):
        try:
            article = loader.read_file(path)
        except loader.ArticleError:
            continue
        titles[article.id] = article.title
    return titles


def load(path: Path | str, known_articles: frozenset[str] | None = None) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), None, f"cannot be read: {exc}") from None
    return parse(text, path, known_articles)


def shipped() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def find(name: str) -> Path:
    """A scenario by its id (a shipped file's name without .toml) or by a path."""
    candidate = Path(name).expanduser()
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise ScenarioError(str(candidate), None, "no such file")
        return candidate
    path = SCENARIO_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(p.stem for p in shipped())
        raise ScenarioError(name, None, f"no such scenario (shipped: {known})")
    return path
