"""Widgets the screens share: the header, the caller's card, the queue table that draws
only the visible rows, the toast that keeps wide characters whole and the size breakpoints."""
