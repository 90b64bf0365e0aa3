"""The channels a contact or a ticket comes in by: one list for both (issue 17).

phone (the hotline), app (the 95598 / water centre's app), wechat (its WeChat account: kept
apart from the app, as the contacts always were), 12345 (a transfer from the city hotline),
12398 (a transfer from the energy regulator's hotline), counter (the business hall), email.
Their labels are the catalog's ``channel.<code>``.
"""

from __future__ import annotations

from agentdesk.core.i18n import t

CHANNELS = ("phone", "app", "wechat", "12345", "12398", "counter", "email")
DEFAULT = "phone"


class ChannelError(ValueError):
    """A channel not in :data:`CHANNELS`."""


def check(channel: str) -> str:
    """``channel`` if known, else :class:`ChannelError` naming the known ones."""
    if channel not in CHANNELS:
        raise ChannelError(t("msg.core.channels.unknown_channel_known", channel=channel,
                             CHANNELS=', '.join(CHANNELS)))
    return channel
