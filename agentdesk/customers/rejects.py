"""The errors file of a customer import (``--errors FILE``): every bad row, not only the
first 50 the summary names.

CSV, UTF-8 with a byte-order mark (as the export): ``line`` (where the record starts in
the imported file), ``reason``, then the row's fields under the import's own header
(:data:`~agentdesk.customers.csvio.HEADER` order, whatever order the file had; a row
with the wrong number of columns is written as it was). Fix the rows, delete the first
two columns and import the file again. Cells are written through
:mod:`agentdesk.core.csvsafe`: a bad row is exactly where a formula would hide.

Rows go to a temporary file beside the target as they are found (200,000 bad rows cost
no memory) and replace the target only when the import finished: an import that fails
leaves an older errors file as it was. The file is 0600 (mkstemp): it holds personal data.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from agentdesk.core import csvsafe
from agentdesk.core.i18n import t
from agentdesk.customers.csvio import HEADER, ImportFileError

if TYPE_CHECKING:
    from agentdesk.customers.csvio import OnBad, RowError

COLUMNS = ("line", "reason", *HEADER)


class ErrorsFile:
    """A context manager: ``add`` each bad row; leaving without an error puts the file
    in place, leaving with one throws it away."""

    def __init__(self, path: Path | str, source: Path | str) -> None:
        self.path = Path(path)
        self.count = 0
        if self.path.exists() and self.path.resolve() == Path(source).resolve():
            raise ImportFileError(t("import.errors_is_source", path=self.path))
        if not self.path.parent.is_dir():
            raise ImportFileError(t("import.errors_no_folder", path=self.path.parent))
        if self.path.is_dir():
            raise ImportFileError(t("import.errors_is_folder", path=self.path))
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                         suffix=".tmp")
        self._file = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(COLUMNS)

    def add(self, error: RowError, fields: list[str]) -> None:
        # Read back as the import reads it, written as the export writes it: a field the
        # file had quoted against formulas stays quoted once, not twice.
        self._writer.writerow(csvsafe.row(
            [error.line, error.reason, *(csvsafe.unescape(f) for f in fields)]))
        self.count += 1

    def __enter__(self) -> ErrorsFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        try:
            if kind is None:
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            if kind is None:
                os.replace(self._tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)


@contextlib.contextmanager
def writing(path: Path | str | None, source: Path | str) -> Iterator[OnBad | None]:
    """What an import hands its reader as ``on_bad``: the errors file's ``add``, or None
    when no file was asked for. An :class:`OSError` of the file is an
    :class:`ImportFileError` naming it."""
    if path is None:
        yield None
        return
    try:
        with ErrorsFile(path, source) as bad:
            yield bad.add
    except OSError as exc:
        raise ImportFileError(f"{path}: {exc.strerror or exc}") from None
