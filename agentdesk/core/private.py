"""Private files: customer data is readable by this user only, whatever the umask.

Folders agentdesk creates are 0700 (missing parents too, as the XDG rules ask), files it
creates 0600, set with ``chmod`` after creation so no umask loosens them. Agentdesk's own
data folder (``~/.local/share/agentdesk`` and the folders in it), when it already exists
and other users may read it, is tightened to 0700 with a notice on stderr. A folder the
user chose elsewhere (``--db /srv/desks/desk.db``, a report folder) is never chmodded:
it may be shared on purpose; the files agentdesk makes in it are 0600 all the same.

SQLite gives a database's ``-wal``, ``-shm`` and ``-journal`` files the database file's
own mode, so a database created here (0600, before SQLite opens it) keeps them so.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path
from typing import IO, Any

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def data_dir() -> Path:
    """Agentdesk's own data folder (the default desk database, the training scorecards,
    the monitor's mirror live there)."""
    from agentdesk.core.config import default_db_path

    return default_db_path().parent


def folder(path: Path | str) -> Path:
    """``path`` as a folder: created 0700 with any missing parents; an existing one that
    is the data folder (or inside it) and readable by others is tightened."""
    path = Path(path)
    missing = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for new in reversed(missing):
        try:
            os.mkdir(new, FOLDER_MODE)
        except FileExistsError:  # made meanwhile by another process: theirs to set
            continue
        os.chmod(new, FOLDER_MODE)
    if not missing and _ours(path):
        tighten(path)
    return path


def tighten(path: Path) -> bool:
    """Make an existing folder of this user's that others may read 0700, saying so on
    stderr; True when it was changed. Another user's folder is left as it is."""
    info = os.stat(path)
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if not loose or info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode):
        return False
    os.chmod(path, FOLDER_MODE)
    from agentdesk.core.i18n import t

    print(t("private.tightened", path=path, mode=f"{stat.S_IMODE(info.st_mode):04o}"),
          file=sys.stderr, flush=True)
    return True


def create(path: Path | str) -> bool:
    """Create ``path`` empty and 0600 unless it exists; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def open_fd(path: Path | str, flags: int) -> int:
    """A descriptor on ``path``, the file created 0600 when missing (an existing file
    keeps its mode: a desk shared on purpose stays shared)."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return os.open(path, flags | os.O_CLOEXEC)
    os.fchmod(fd, FILE_MODE)
    return fd


def open_write(path: Path | str, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing ("w", "wb", "r+b"), the file 0600 whether it is
    new or written over."""
    flags = os.O_RDWR if "+" in mode else os.O_WRONLY
    if "w" in mode:
        flags |= os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def copy(source: Path | str, target: Path | str) -> None:
    """Copy a file's bytes into a new 0600 file (``shutil.copyfile`` would give it the
    umask's mode)."""
    with open(source, "rb") as src, open_write(target, "wb") as dst:
        shutil.copyfileobj(src, dst)


def _ours(path: Path) -> bool:
    """The data folder or a folder inside it."""
    try:
        own = data_dir().resolve()
        here = path.resolve()
    except OSError:
        return False
    return here == own or own in here.parents
