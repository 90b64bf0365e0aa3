"""knowledge-base search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

``kb_fts``: an FTS5 table of tokens computed in Python (see agentdesk/kb/tokens.py), one
column per field so bm25 weighs titles and caller phrasings above body text; the
``unicode61`` tokenizer only splits the space-separated tokens. ``kb_term`` counts the
articles holding each token (fts5vocab counts them by reading whole posting lists: too
slow for every keystroke at 5,000 articles). ``kb_meta`` remembers the
hash of the shipped articles and the token version, so the desk re-indexes only when
either changed. The index is filled on the next desk start (the token version is unset).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "kb_meta",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute(
        "CREATE VIRTUAL TABLE kb_fts USING fts5(title, phrases, body, title_py, phrases_py, "
        "initials, article_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
    )
    op.create_table(
        "kb_term",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS kb_fts")
    op.drop_table("kb_term")
    op.drop_table("kb_meta")
