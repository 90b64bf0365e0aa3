"""The customer card: every field an agent needs while the caller is talking.

Warnings come first, in reverse video and with a symbol (colour-blind agents and
monochrome terminals exist): vulnerability tags (a caller on oxygen must be impossible to
miss), key-customer level, repeat caller, outage notices covering the address. All values
are data, rendered as Text, never markup, their control characters shown visibly.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from agentdesk.core import clock
from agentdesk.core.controls import shown, shown_text
from agentdesk.core.i18n import t

if TYPE_CHECKING:
    from agentdesk.customers.lookup import Card


# The customer classes the utilities use (the customers table's default is 居民): shown
# by their catalog name; any other class a CSV brought is data, shown as it is.
CLASS_KEYS = {"居民": "customer_class.resident", "非居民": "customer_class.non_resident"}


def class_name(value: str) -> str:
    return t(CLASS_KEYS[value]) if value in CLASS_KEYS else value


def _when(value: datetime) -> str:
    return clock.local(value).strftime("%m-%d %H:%M")


def _banner(out: Text, symbol: str, text: str, style: str) -> None:
    out.append(f" {symbol} ", style=f"bold reverse {style}")
    out.append_text(Text(f"{text} ", style=f"bold reverse {style}"))
    out.append("\n")


def synced_ago(since: datetime, now: datetime) -> str:
    """"12 分钟前同步" / "as of 3 h ago": how old a desk's notices are."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 120:
        return t("card.notice.synced_min", n=minutes)
    if minutes < 48 * 60:
        return t("card.notice.synced_h", n=minutes // 60)
    return t("card.notice.synced_d", n=minutes // (24 * 60))


def card_text(card: Card | None, stale_since: datetime | None = None) -> Text:
    """``stale_since``: the desk's last pull from the centre when it is old (its notices
    may be out of date): each notice banner says how old."""
    if card is None:
        return Text(t("card.empty"), style="dim")
    from agentdesk.customers.phones import display

    out = Text()
    if card.from_centre:
        _banner(out, "⇅", t("card.from_centre"), "cyan")
    if card.tags:
        _banner(out, "⚠", " ".join(card.tags), "red")
    if card.key_level:
        _banner(out, "★", t("card.key_level") + " " + t("card.key_level.value",
                                                        level=card.key_level), "yellow")
    if "calls" in card.repeat_reasons:
        _banner(out, "↻", t("card.repeat.calls", n=card.recent_contacts), "magenta")
    if "overdue" in card.repeat_reasons:
        _banner(out, "⏰", t("card.repeat.overdue"), "magenta")
    for notice in card.notices:
        state = t("card.notice.active" if notice.active else "card.notice.upcoming")
        line = (f"{state}·{t('card.notice.' + notice.kind)} {shown(notice.title)} "
                f"{_when(notice.starts_at)}–{_when(notice.ends_at)}")
        if notice.cause:
            line += f" {t('card.notice.cause', cause=notice.cause)}"
        if notice.restore_by:
            line += f" {t('card.notice.restore_by', when=_when(notice.restore_by))}"
        if stale_since is not None:
            line += synced_ago(stale_since, clock.now())
        _banner(out, "⛔", line, "blue")
    for incident in card.incidents:
        where = t("card.incident.where", address=incident.address) if incident.address else ""
        _banner(out, "⚡", t("card.incident", title=incident.title, where=where), "red")
    out.append(shown(card.name), style="bold")
    out.append(f"  {card.account_no}\n")

    def row(label: str, value: str, style: str = "") -> None:
        out.append(f"{label}: ", style="dim")
        out.append(shown(value), style=style)
        out.append("\n")

    row(t("card.utility"), t(f"utility.{card.utility}"))
    row(t("card.class"), class_name(card.customer_class))
    row(t("card.address"), card.address)
    row(t("card.phones"), "  ".join(display(p) for p in card.phones))
    meter_type = t(f"meter.{card.meter_type}") if card.meter_type else ""
    row(t("card.meter"), " ".join(x for x in (card.meter_no, meter_type) if x))
    credit = card.credit_list or "none"
    row(t("card.credit"), t(f"credit.{credit}"),
        "bold red" if credit == "black" else ("yellow" if credit == "grey" else ""))
    yuan = f"{card.arrears_fen / 100:.2f}"
    row(t("card.arrears"), t("card.arrears.value", yuan=yuan, periods=card.arrears_periods),
        "bold red" if card.arrears_fen else "")
    out.append(f"{t('card.tickets')}:", style="dim")
    if not card.open_tickets:
        out.append(f" {t('card.tickets.none')}")
    from agentdesk.core import i18n
    from agentdesk.tickets import taxonomy

    categories = taxonomy.load().categories  # cached: the card's worker loaded it
    for ticket in card.open_tickets:
        due = t("card.due", due=_when(ticket.next_due)) if ticket.next_due else ""
        cat = categories.get(ticket.category)
        label = cat.label(i18n.lang()) if cat else ticket.category
        line = Text(f"\n  {ticket.number} {label} {t('status.' + ticket.status)} {due}")
        if ticket.overdue:
            line.append(f" ⏰{t('card.overdue')}", style="bold red")
        if ticket.reply or ticket.reply_due:  # what the department said, and by when
            line.append(f"\n    {t('card.reply')}: {ticket.reply or '—'}", style="dim")
            if ticket.reply_due:
                line.append(" " + t("card.reply_due", due=_when(ticket.reply_due)), style="dim")
            if ticket.reply_missed:
                line.append(f" ⌛{t('life.queue.reply_missed')}", style="bold red")
        out.append_text(line)
    out.append("\n")
    out.append(f"{t('card.contacts')}:", style="dim")
    if not card.contacts:
        out.append(f" {t('card.contacts.none')}")
    for contact in card.contacts:
        out.append(f"\n  {_when(contact.started_at)} {t('channel.' + contact.channel)} "
                   f"{display(contact.number) if contact.number else ''} {contact.agent}")
        if contact.outcome:  # how it ended (wrap-up)
            to = f" → {contact.transfer_to}" if contact.transfer_to else ""
            out.append(f" · {t('wrapup.code.' + contact.outcome)}{to}", style="dim")
    return shown_text(out)


def unknown_caller_text(number: str) -> Text:
    from agentdesk.customers.phones import display

    out = Text()
    _banner(out, "?", t("card.unknown", number=display(number)), "yellow")
    out.append(t("card.unknown.hint"), style="dim")
    return shown_text(out)


class CustomerCard(Static):
    DEFAULT_CSS = """
    CustomerCard { padding: 0 1; border: round $primary; height: auto; }
    """

    def show(self, card: Card | None, stale_since: datetime | None = None) -> None:
        self.update(card_text(card, stale_since))

    def show_unknown(self, number: str) -> None:
        self.update(unknown_caller_text(number))
