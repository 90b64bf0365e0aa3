"""The size classes every screen gets (issue 19, item 8), for CSS that lays a screen out
differently on a small terminal or a large one: ``-narrow`` under 100 columns, ``-wide``
from 160; ``-short`` under 32 lines, ``-tall`` from 48. Textual sets them on the screen
as it is resized (``App.HORIZONTAL_BREAKPOINTS``)."""

from __future__ import annotations

HORIZONTAL = [(0, "-narrow"), (100, "-normal"), (160, "-wide")]
VERTICAL = [(0, "-short"), (32, "-normal-height"), (48, "-tall")]
