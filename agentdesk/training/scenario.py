"""Role-play scenario files (no textual import).

A scenario is a TOML file under ``agentdesk/training/scenarios/`` (or any path given to
``agentdesk train``). Its shape::

    title = "深夜主干管爆管"
    level = 1                               # 1 basic, 2 intermediate, 3 advanced
    utility = "water"                       # water / power
    start = "2026-10-02T02:00:00+08:00"     # the scenario clock starts here (ISO, with offset)
    brief = "..."                           # what the trainee is told before the call
    pass_mark = 85                          # optional (default 85)
    hidden = ["..."]                        # facts only the trainer's card shows
    auto_seconds = 8                        # --auto: seconds between caller lines (optional)

    [caller]                                # who rings, and from which number
    customer = "caller"                     # a [[customer]] key; empty: not on file
    number = "13812345678"                  # empty: number withheld
    persona = "王建国，62岁，退休工人，说话急"

    [[customer]]                            # created into the training database
    key = "caller"
    account_no = "3101000001"
    name = "王建国"
    phones = ["13812345678"]
    district = "金水区" ... room = "301室"
    tags = ["吸氧"]                          # vulnerability tags
    arrears_yuan = 0.0

    [[notice]]   key, utility, kind, title, district, street, community, starts, ends
    [[ticket]]   key, customer, category, description, created, status  (history)
    [[contact]]  customer, at, note                                        (earlier calls)
                 times are ISO or offsets from start: "-2h", "+30m", "-3d"

    [[line]]                                # the caller's lines, in order
    text = "..."
    ask = ["户号", "账号"]                   # only said when the trainee asks for it

    [[escalation]]                          # the caller gets angry ...
    said = ["不归我们管"]                    # ... when the trainee says one of these,
    after_minutes = 10                      # ... or this long into the call
    text = "你们什么态度！我要投诉！"

    [[check]]                               # the rubric: weighted checks
    kind = "ticket"  category = "water.burst"  priority = "urgent"  weight = 20

Check kinds (and their keys): ``greeting`` (the first thing said carries the staff number),
``lookup`` (customer), ``ticket`` (category, priority, customer), ``no_ticket``
(business_type, customer), ``notice`` (notice), ``linked`` (ticket), ``article`` (article),
``callback`` (phrases, customer), ``vulnerability`` (customer), ``promise`` (the caller was
told the promised time), ``phrase`` (phrases, where), ``forbid`` (phrases, where),
``no_escalation``. ``where`` is ``notes`` (ticket text and call notes), ``said`` or ``any``.

A file with a mistake is refused before a session starts: :class:`ScenarioError` names the
file, the line and the reason. tomllib reports lines for syntax errors only; for everything
else the line of the offending key is found in the text.

The data model is :mod:`.scenario_model`, reading and checking a file
:mod:`.scenario_loader`; this module names both for callers.
"""

from __future__ import annotations

from agentdesk.training.scenario_loader import (SCENARIO_DIR, article_titles, find, load,
                                                locate, parse, shipped, shipped_articles)
from agentdesk.training.scenario_model import (CALLBACK_PHRASES, DEFAULT_AUTO_SECONDS,
                                               DEFAULT_PASS, LEVELS, TICKET_STATUSES,
                                               UTILITIES, WHERE, Check, ContactSpec,
                                               CustomerSpec, Escalation, Line, NoticeSpec,
                                               Scenario, ScenarioError, TicketSpec)

__all__ = ["CALLBACK_PHRASES", "Check", "ContactSpec", "CustomerSpec",
           "DEFAULT_AUTO_SECONDS", "DEFAULT_PASS", "Escalation", "LEVELS", "Line",
           "NoticeSpec", "SCENARIO_DIR", "Scenario", "ScenarioError", "TICKET_STATUSES",
           "TicketSpec", "UTILITIES", "WHERE", "article_titles", "find", "load", "locate",
           "parse", "shipped", "shipped_articles"]
