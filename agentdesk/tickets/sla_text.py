"""Time limits in text from the SLA policy in force (no textual import): the placeholders a
knowledge-base article writes instead of a number, and the check that it states none of its
own.

A placeholder names a category's clock, and optionally an area class and a key level::

    {{sla:any.complaint:resolution}}          4个工作日
    {{sla:power.fault:arrival}}               城区45分钟、农村90分钟、偏远地区2小时
    {{sla:power.fault:arrival:rural}}         90分钟
    {{sla:power.fault:arrival:key1}}          30分钟   (a key customer of level 1)

Clocks: ``first_response``, ``arrival``, ``resolution``, ``callback`` (:data:`CLOCKS`);
areas ``urban`` / ``rural`` / ``remote``; ``keyN`` with N in 1..3. Without an area, a clock
that is the same everywhere is said once and one that differs is said per area (equal areas
together). Each value is the duration that sets the deadline of a ticket of that category,
at its default priority (``sla.rule_for``, the key-customer rule included), so an article
says what the ticket gets, under whichever policy the desk uses (:func:`fill`). The words
are in the articles' language (Chinese), like the formats of :mod:`agentdesk.kb.answers`.

:func:`stated_durations` finds the durations a text states outside placeholders, less the
facts in :data:`NOT_TICKET_CLOCKS` (rules of law and instructions that are not a ticket's
clock); the test over every shipped article (tests/test_policy_truth.py) uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from agentdesk.core.i18n import t
from agentdesk.core import clock
from agentdesk.tickets import sla
from agentdesk.tickets.clocks import CLOCKS

PLACEHOLDER = re.compile(r"\{\{\s*sla:([A-Za-z0-9_.]+):([a-z_]+)((?::[a-z0-9]+)*)\s*\}\}")
# The articles' words (zh), as kb.answers keeps its formats.
UNITS = {"m": "{n}分钟", "h": "{n}小时", "d": "{n}天", "wd": "{n}个工作日",
         "wh": "{n}个工作小时"}
AT_ONCE = "立即"
NONE = "（无此时限）"  # the policy in force has no such clock
AREA_WORDS = {"urban": "城区", "rural": "农村", "remote": "偏远地区"}  # rural: suburban too
AREA_JOIN, AREA_AND = "、", "及"
UNKNOWN = "【时限未定义：{text}】"  # a placeholder the policy cannot answer, shown as such

# A stated duration: a number (digits or Chinese) and a unit of time. A date (5月1日) is
# not one: a number right after 月 is a day of the month.
DURATION = re.compile(
    r"(?<![A-Za-z0-9.月])(?:\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*"
    r"(?:[-–~至到]\s*\d+\s*)?(?:分钟|小时|钟头|个?工作日|天|日|周|个月|"
    r"(?:min|mins|minutes?|hours?|days?|h)(?![A-Za-z]))")
# Durations that are not a ticket's clock, with why: kept in articles as they are.
NOT_TICKET_CLOCKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"提前\s*\d+\s*(?:天|日|小时)"),
     "notice lead time of a planned outage (供电营业规则, 城市供水条例): a rule the "
     "utility follows before an outage, not a clock of the caller's ticket"),
    (re.compile(r"\d+\s*日内(?:向供电企业提出|申请)"),
     "the customer's own time to claim for a damaged appliance (居民用户家用电器损坏处理办法)"),
    (re.compile(r"24\s*小时(?:服务|受理|值守|人工服务)"),
     "the hotline's opening hours (round the clock), not a time limit"),
    (re.compile(r"(?:放水|静置|观察水表大约)\s*[\d一二两三四五六七八九十]+\s*分钟"),
     "a self-check the caller does (run the tap, let a glass stand, watch the meter)"),
    (re.compile(r"近\s*[\d一二两三四五六七八九十]+\s*个月"),
     "a period of bills or outages to look at, not a time limit"),
    (re.compile(r"不超过\s*[\d六]+\s*个月"),
     "the longest term of a temporary supply (供电营业规则), not a ticket's clock"),
    (re.compile(r"超过一个工作日仍显示欠费"),
     "how long a payment channel takes to post a payment, not the centre's clock"),
)


class PlaceholderError(ValueError):
    """A placeholder that names no category, clock, area or key level the policy knows."""


@dataclass(frozen=True)
class Placeholder:
    text: str  # as written
    category: str
    clock: str
    area: str | None = None
    key_level: int = 0


def parse(match: re.Match[str], policy: sla.Policy) -> Placeholder:
    """The placeholder of ``match`` (of :data:`PLACEHOLDER`), checked against ``policy``."""
    category, name, rest = match.group(1), match.group(2), match.group(3)
    if category not in policy.category_priority:
        raise PlaceholderError(t("msg.tickets.sla_text.unknown_category_in", category=category,
                                 group=match.group(0)))
    if name not in CLOCKS:
        raise PlaceholderError(t("msg.tickets.sla_text.unknown_clock_in_clocks", name=name,
                                 group=match.group(0), CLOCKS=', '.join(CLOCKS)))
    area, key = None, 0
    for part in filter(None, rest.split(":")):
        if part in sla.AREAS and area is None:
            area = part
        elif re.fullmatch(r"key[1-9]", part) and not key \
                and int(part[3:]) in sla.KEY_LEVELS:
            key = int(part[3:])
        else:
            raise PlaceholderError(t("msg.tickets.sla_text.unknown_qualifier_in_an", part=part,
                                     group=match.group(0), AREAS=', '.join(sla.AREAS)))
    return Placeholder(match.group(0), category, name, area, key)


def say(duration: sla.Duration | None) -> str:
    """A duration in the articles' words: 45分钟, 4个工作日, 立即."""
    if duration is None:
        return NONE
    if duration.amount == 0 and duration.unit in ("m", "h"):
        return AT_ONCE
    return UNITS[duration.unit].format(n=duration.amount)


def value(place: Placeholder, policy: sla.Policy, start: datetime | None = None) -> str:
    """What ``place`` says under ``policy``: the duration that sets the deadline of a
    ticket of its category at its default priority, started at ``start`` (now)."""
    start = start or clock.now()
    priority = policy.category_priority[place.category]

    def one(area: str) -> str:
        return say(sla.rule_for(policy, place.clock, place.category, area, priority, start,
                                key_level=place.key_level))

    if place.area:
        return one(place.area)
    said = {area: one(area) for area in sla.AREAS}
    if len(set(said.values())) == 1:
        return said["urban"]
    groups: dict[str, list[str]] = {}
    for area, words in said.items():
        groups.setdefault(words, []).append(AREA_WORDS[area])
    return AREA_JOIN.join(AREA_AND.join(areas) + words for words, areas in groups.items())


# A category code in an article ("新建 water.quality 工单") is read to the agent by its
# name (issue 19, item 13: no raw codes on screen): 新建“水质”工单.
CATEGORY_CODE = re.compile(r" ?\b((?:water|power|any)\.[a-z_]+)\b ?")


def name_codes(text: str) -> str:
    """``text`` with every known ticket category code replaced by its Chinese name."""
    if "." not in text:
        return text
    from agentdesk.tickets import taxonomy

    categories = taxonomy.load().categories

    def replace(match: re.Match[str]) -> str:
        cat = categories.get(match.group(1))
        return f"“{cat.zh}”" if cat is not None else match.group(0)

    return CATEGORY_CODE.sub(replace, text)


def fill(text: str, policy: sla.Policy, start: datetime | None = None) -> str:
    """``text`` with every placeholder replaced by what the policy says (one the policy
    cannot answer is shown as :data:`UNKNOWN`, never silently dropped) and every category
    code by its name."""
    if "{{" not in text:
        return name_codes(text)

    def replace(match: re.Match[str]) -> str:
        try:
            return value(parse(match, policy), policy, start)
        except PlaceholderError:
            return UNKNOWN.format(text=match.group(0)[2:-2].strip())

    return name_codes(PLACEHOLDER.sub(replace, text))


def problems(text: str, policy: sla.Policy) -> list[str]:
    """What is wrong with the placeholders of ``text`` under ``policy`` (empty: none)."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        try:
            parse(match, policy)
        except PlaceholderError as exc:
            found.append(str(exc))
    for stray in re.finditer(r"\{\{[^}]*\}\}", PLACEHOLDER.sub("", text)):
        found.append(f"not a placeholder like {{{{sla:CATEGORY:CLOCK}}}}: {stray.group(0)}")
    return found


def stated_durations(text: str) -> list[str]:
    """The durations ``text`` states itself: outside placeholders, less the allowed facts
    (:data:`NOT_TICKET_CLOCKS`). Each as found, with a little text around it."""
    bare = PLACEHOLDER.sub("〔〕", text)
    for pattern, _why in NOT_TICKET_CLOCKS:
        bare = pattern.sub("〔〕", bare)
    return [bare[max(0, m.start() - 8):m.end() + 4].replace("\n", " ")
            for m in DURATION.finditer(bare)]
