"""The customer card: every field an agent needs while the caller is talking.

Vulnerability tags and key-customer level come first and in reverse video: a caller on
oxygen must be impossible to miss. All values are data, rendered as Text.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from agentdesk.i18n import t


def card_text(card) -> Text:  # noqa: ANN001 - lookup.Card, imported lazily by callers
    if card is None:
        return Text(t("card.empty"), style="dim")
    out = Text()
    if card.tags:
        out.append(" ⚠ " + " ".join(card.tags) + " ", style="bold reverse red")
        out.append("\n")
    if card.key_level:
        out.append(" ★ " + t("card.key_level") + " "
                   + t("card.key_level.value", level=card.key_level) + " ",
                   style="bold reverse yellow")
        out.append("\n")
    out.append(card.name, style="bold")
    out.append(f"  {card.account_no}\n")

    def row(label: str, value: str | Text, style: str = "") -> None:
        out.append(f"{label}: ", style="dim")
        out.append(value if isinstance(value, Text) else Text(value, style=style))
        out.append("\n")

    from agentdesk.phones import display

    row(t("card.utility"), t(f"utility.{card.utility}"))
    row(t("card.class"), card.customer_class)
    row(t("card.address"), card.address)
    row(t("card.phones"), "  ".join(display(p) for p in card.phones))
    row(t("card.meter"), " ".join(x for x in (card.meter_no, card.meter_type) if x))
    credit = card.credit_list or "none"
    row(t("card.credit"), t(f"credit.{credit}"),
        "bold red" if credit == "black" else ("yellow" if credit == "grey" else ""))
    yuan = f"{card.arrears_fen / 100:.2f}"
    row(t("card.arrears"), t("card.arrears.value", yuan=yuan, periods=card.arrears_periods),
        "bold red" if card.arrears_fen else "")
    return out


class CustomerCard(Static):
    DEFAULT_CSS = """
    CustomerCard { padding: 0 1; border: round $primary; height: auto; }
    """

    def show(self, card) -> None:  # noqa: ANN001
        self.update(card_text(card))
