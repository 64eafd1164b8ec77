"""Text from outside made safe to keep and print: no control characters.

Image tags, sidecars, STAC items, analyst notes and event titles are typed or
written by someone else; a NUL or an escape sequence in them would reach a
report (and a terminal) raw. Tabs and newlines become spaces: every field this
is used for is one line.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the C1 controls; tab, newline and carriage return are handled apart.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\n\r]")


def printable(text: str, *, keep_lines: bool = False) -> str:
    """``text`` without control characters.

    Args:
        text: any string.
        keep_lines: keep tabs and newlines (multi-line text); otherwise they become spaces.
    """
    text = _CONTROLS.sub("", text)
    return text if keep_lines else _BREAKS.sub(" ", text)
