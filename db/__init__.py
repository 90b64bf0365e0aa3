"""Schema migrations (Alembic, under ``migrations/``) and demo-data definitions."""

# Every revision this code knows, oldest first; the last is the head.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
HEAD = REVISIONS[-1]
