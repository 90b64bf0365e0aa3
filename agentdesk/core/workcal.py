"""The centre's working calendar: working days, working hours, holidays and make-up days.

All arithmetic happens in the centre's time zone (:func:`agentdesk.core.clock.centre_tz`, read at
call time); every instant returned is an aware UTC datetime. Working days are a
python-dateutil ``rruleset``: a weekly rule over the working weekdays, the holidays as
``exdate`` and the make-up working days (调休, a weekend day worked) as ``rdate``.

Two kinds of working arithmetic:

* **N working days** (:meth:`Calendar.add_working_days`): the close of business (the end of
  the last working period, 17:30 by default) of the Nth working day *after* the day the
  clock starts; the start day itself is never counted, whatever the hour. This is how
  Chinese rules count "N个工作日内" (民法典 第二百零一条: the first day is not counted;
  第二百零三条: the last day ends when business stops). ``0`` working days is the close of
  business of the first working day that has not closed yet at the start.
* **Working time** (:meth:`Calendar.add_working_time`): only time inside the working periods
  (08:30–12:00 and 13:30–17:30 by default) counts; lunch, evenings, weekends and holidays
  do not. A clock started outside the periods begins at the next opening.

Where the holidays come from (:func:`package_holidays`): the ``chinese-calendar`` package
(the State Council's notices, one release per year's notice) for the years it has data for;
the centre's TOML entries (the SLA policy's ``[calendar]`` and ``agentdesk central load
calendar``) override a package holiday of the same name and year and extend the calendar
to years the package does not know. A year neither covers is *not covered*
(:attr:`Calendar.covered_years`, :meth:`Calendar.uncovered`): its weekends are its only
days off, and whoever shows a working-day deadline in it says so. Nothing here invents a
holiday.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from itertools import islice

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, rrule, rruleset

from agentdesk.core.i18n import t
from agentdesk.core import clock

UTC = timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_PERIODS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


def aware(value: datetime, what: str = "time") -> datetime:
    """``value`` in UTC; a naive datetime is an error (we never guess a time zone)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(t("msg.core.workcal.without_a_utc_offset", what=what,
                           isoformat=value.isoformat()))
    return value.astimezone(UTC)


def parse_period(text: str) -> tuple[time, time]:
    """``"08:30-12:00"`` -> (08:30, 12:00)."""
    try:
        first, last = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(first), time.fromisoformat(last)
    except (ValueError, AttributeError):
        raise ValueError(t("msg.core.workcal.not_a_working_period", text=text)) from None
    if end <= start:
        raise ValueError(t("msg.core.workcal.working_period_ends_before_2", text=text))
    return start, end


@dataclass(frozen=True)
class Holiday:
    """One official holiday: the days off (``start``..``end``, weekends inside included)
    and the weekend days worked instead (``makeup``)."""

    name: str
    start: date
    end: date
    makeup: tuple[date, ...] = ()

    def days(self) -> list[date]:
        return [d.date() for d in rrule(DAILY, dtstart=_midnight(self.start),
                                        until=_midnight(self.end))]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


@dataclass(frozen=True)
class Calendar:
    """Working days Mon–Fri and 08:30–12:00, 13:30–17:30 unless told otherwise.

    ``holidays`` are days off, ``makeup_days`` are days worked although their weekday is not
    a working weekday (调休). Build one from official holiday entries with
    :meth:`from_holidays`; the shipped one is ``agentdesk.tickets.sla.load_policy().calendar``.
    """

    weekdays: frozenset[int] = frozenset(range(5))  # 0 = Monday
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    holidays: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()
    entries: tuple[Holiday, ...] = field(default=(), compare=False)
    # Years whose official holidays are known (package or TOML); () for a bare calendar.
    covered_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not self.weekdays or not set(self.weekdays) <= set(range(7)):
            raise ValueError(t("msg.core.workcal.working_days_must_be"))
        if not self.periods:
            raise ValueError(t("msg.core.workcal.at_least_one_working"))
        periods = sorted(self.periods)
        for a, b in periods:
            if b <= a:
                raise ValueError(t("msg.core.workcal.working_period_ends_before", a=f"{a:%H:%M}",
                                   b=f"{b:%H:%M}"))
        for (a, b), (c, d) in zip(periods, periods[1:]):
            if c < b:
                raise ValueError(t("msg.core.workcal.working_periods_overlap_and", a=f"{a:%H:%M}",
                                   b=f"{b:%H:%M}", c=f"{c:%H:%M}", d=f"{d:%H:%M}"))
        object.__setattr__(self, "periods", tuple(periods))
        both = self.holidays & self.makeup_days
        if both:
            raise ValueError(t("msg.core.workcal.both_a_holiday_and", both=min(both)))

    @classmethod
    def from_holidays(cls, entries: Iterable[Holiday], weekdays: Iterable[int] = range(5),
                      periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
                      covered_years: Iterable[int] | None = None) -> Calendar:
        """``covered_years`` None: the years the entries name."""
        entries = tuple(entries)
        off = {d for h in entries for d in h.days()}
        makeup = {d for h in entries for d in h.makeup}
        years = frozenset(covered_years if covered_years is not None
                          else {h.start.year for h in entries})
        return cls(frozenset(weekdays), tuple(periods), frozenset(off), frozenset(makeup),
                   entries, years)

    @property
    def holiday_years(self) -> frozenset[int]:
        """Years the holiday data covers: a deadline in another year may be wrong."""
        return self.covered_years

    def uncovered(self, *moments: datetime | date | None) -> list[int]:
        """The years (sorted, once each) of ``moments`` whose holidays this calendar does
        not know: a working-day deadline there counts holidays as working days. Instants
        are taken in the centre's zone; None is skipped."""
        years = set()
        for moment in moments:
            if moment is None:
                continue
            if isinstance(moment, datetime):
                moment = aware(moment, "deadline").astimezone(clock.centre_tz()).date()
            if moment.year not in self.covered_years:
                years.add(moment.year)
        return sorted(years)

    # -- days ------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.makeup_days or day.weekday() in self.weekdays

    def working_days(self, first: date) -> Iterator[date]:
        """Working days from ``first`` (included) on, without end."""
        rules = rruleset()
        rules.rrule(rrule(DAILY, dtstart=_midnight(first), byweekday=sorted(self.weekdays)))
        for day in self.makeup_days:
            if day >= first:
                rules.rdate(_midnight(day))
        for day in self.holidays:
            if day >= first:
                rules.exdate(_midnight(day))
        return (moment.date() for moment in rules)

    def opening(self, day: date) -> datetime:
        return _at(day, self.periods[0][0])

    def close_of_business(self, day: date) -> datetime:
        return _at(day, self.periods[-1][1])

    # -- arithmetic ------------------------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of business of the ``days``-th working day after the start's local day."""
        if days < 0:
            raise ValueError(t("msg.core.workcal.working_days_must_not", days=days))
        start = aware(start, "start")
        day = start.astimezone(clock.centre_tz()).date()
        if days == 0:
            for candidate in self.working_days(day):
                close = self.close_of_business(candidate)
                if close >= start:
                    return close
        after = day + relativedelta(days=1)
        return self.close_of_business(next(islice(self.working_days(after), days - 1, None)))

    def periods_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (UTC start, UTC end) that end after ``start``, in order, the
        first one clipped to begin at ``start``."""
        start = aware(start, "start")
        for day in self.working_days(start.astimezone(clock.centre_tz()).date()):
            for first, last in self.periods:
                begin, end = _at(day, first), _at(day, last)
                if end <= start:
                    continue
                yield max(begin, start), end

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of working time has passed since ``start``."""
        if amount < timedelta(0):
            raise ValueError(t("msg.core.workcal.working_time_must_not", amount=amount))
        start = aware(start, "start")
        if not amount:
            return start
        remaining = amount
        for begin, end in self.periods_from(start):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: working days never run out")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end); zero when ``end`` is not after ``start``."""
        start, end = aware(start, "start"), aware(end, "end")
        total = timedelta(0)
        if end <= start:
            return total
        for begin, stop in self.periods_from(start):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total


# -- the chinese-calendar package ------------------------------------------------------------

def package_years() -> frozenset[int]:
    """The years the installed ``chinese-calendar`` release has the official holidays of
    (1.11.0: 2004-2026); empty when the package is missing."""
    try:
        from chinese_calendar import constants
    except ImportError:  # an install without it: the centre's TOML is the only source
        return frozenset()
    return frozenset(d.year for d in constants.holidays)


def package_holidays(years: Iterable[int] | None = None) -> list[Holiday]:
    """The package's holidays as :class:`Holiday` entries (Chinese names, e.g. 国庆节), one
    per run of consecutive days off of one name, with the make-up working days (调休) of
    that holiday nearest to it; ``years`` None: every year the package covers."""
    entries = _package_entries()
    if years is None:
        return list(entries)
    wanted = set(years)
    return [h for h in entries if h.start.year in wanted]


@cache
def _package_entries() -> tuple[Holiday, ...]:
    try:
        from chinese_calendar import constants
    except ImportError:
        return ()
    # the State Council's names (清明节, 端午节, 中秋节: the package writes 清明, 端午, 中秋)
    chinese = {h.value: h.chinese + ("节" if h.chinese in ("清明", "端午", "中秋") else "")
               for h in constants.Holiday}
    days = sorted(constants.holidays.items())
    runs: list[list] = []  # [name, first, last, make-up days]
    for day, name in days:
        if runs and runs[-1][0] == name and runs[-1][2] + timedelta(days=1) == day:
            runs[-1][2] = day
        else:
            runs.append([name, day, day, []])
    for day, name in sorted(constants.workdays.items()):  # to the nearest run of its name
        near = [r for r in runs if r[0] == name and abs((r[1] - day).days) < 60]
        if near:
            min(near, key=lambda r: abs((r[1] - day).days))[3].append(day)
    return tuple(Holiday(chinese.get(name, name), first, last, tuple(makeup))
                 for name, first, last, makeup in runs)


def _at(day: date, at: time) -> datetime:
    """A local wall time on ``day`` in the centre's zone, as UTC."""
    return datetime.combine(day, at, tzinfo=clock.centre_tz()).astimezone(UTC)
