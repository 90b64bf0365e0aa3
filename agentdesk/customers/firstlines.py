"""The first line of every account number a customer file has shown so far, so that a
repeat is refused naming it (:class:`agentdesk.customers.csvio.CustomerReader`), in
memory that stays small for ten million rows."""

from __future__ import annotations

from array import array

IN_DICT = 100_000


class FirstLines:
    """account -> the line it was first seen on (a repeat names it). A dict up to
    :data:`IN_DICT` accounts (about 140 bytes each, the fastest); past that, an
    open-addressing table in arrays (about 25 bytes each, a few microseconds slower): ten
    million accounts in some 250 MB rather than 1.4 GB."""

    def __init__(self) -> None:
        self._dict: dict[str, int] | None = {}
        self._slots = array("I", bytes(4 << 16))  # entry + 1; 0: empty
        self._mask = (1 << 16) - 1
        self._starts = array("I", [0])  # entry i: _text[_starts[i]:_starts[i + 1]]
        self._lines = array("I")
        self._text = bytearray()

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else len(self._lines)

    def _find(self, key: bytes) -> tuple[int, int]:
        """(slot, entry + 1 or 0)."""
        slots, mask, starts, text = self._slots, self._mask, self._starts, self._text
        slot = hash(key) & mask
        while True:
            entry = slots[slot]
            if not entry or text[starts[entry - 1]:starts[entry]] == key:
                return slot, entry
            slot = (slot + 1) & mask

    def first(self, account: str, line: int) -> int:
        """The account's first line: ``line`` when it is new (it is remembered)."""
        if self._dict is not None:
            found = self._dict.setdefault(account, line)
            if len(self._dict) > IN_DICT:
                self._compact()
            return found
        key = account.encode()
        slot, entry = self._find(key)
        if entry:
            return self._lines[entry - 1]
        self._text += key
        self._starts.append(len(self._text))
        self._lines.append(line)
        self._slots[slot] = len(self._lines)
        if len(self._lines) * 4 > len(self._slots) * 3:
            self._grow()
        return line

    def _compact(self) -> None:
        entries, self._dict = self._dict or {}, None
        for account, line in entries.items():
            self.first(account, line)

    def _grow(self) -> None:
        size = len(self._slots) * 2
        self._slots = array("I", bytes(4 * size))
        self._mask = size - 1
        slots, mask, starts, text = self._slots, self._mask, self._starts, self._text
        for entry in range(1, len(self._lines) + 1):
            slot = hash(bytes(text[starts[entry - 1]:starts[entry]])) & mask
            while slots[slot]:
                slot = (slot + 1) & mask
            slots[slot] = entry
