"""Input boxes that never hold a control character.

Keys never type one, but a paste can carry anything (an escape sequence copied from a
log): these boxes remove control characters from whatever is put in (a one-line box
also line breaks and tabs; the text area keeps those), so what the agent sees is what is
saved, and the services' own check (:mod:`agentdesk.core.guard`) never has to refuse a
paste the agent could not see.
"""

from __future__ import annotations

from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from agentdesk.core.controls import clean


class DataInput(Input):
    def replace(self, text: str, start: int, end: int) -> None:
        # Typing, inserting and pasting all come here.
        super().replace(clean(text), start, end)


class DataArea(TextArea):
    def edit(self, edit: Edit) -> EditResult:
        # Typing, inserting and pasting all come here (``text = ...`` loads a document).
        edit.text = clean(edit.text, lines=True)
        return super().edit(edit)
