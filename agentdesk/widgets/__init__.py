"""Widgets the screens share: the header, the caller's card and the queue table that draws
only the visible rows."""
