"""A problem found in the project's files: where, which check, what, and what to do about it.

Checks (l10n.checks) and the glossary validator report these; the CLI prints each as
`path:line: [check] message` with its remedy rendered in the CLI's own terms.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PLAIN, Action, Style, with_remedy


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    check: str
    message: str
    fatal: bool = False  # the input could not be read at all: exit 2, not 1
    remedy: tuple[Action, ...] = ()

    def format(self, style: Style = PLAIN) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: [{self.check}] {with_remedy(self.message, self.remedy, style)}"

    def as_dict(self, style: Style = PLAIN) -> dict:
        return {"path": self.path, "line": self.line, "check": self.check,
                "message": with_remedy(self.message, self.remedy, style), "fatal": self.fatal}


def shorten(text: str, width: int) -> str:
    """`text` cut to at most `width` characters for a message; a cut always shows as …"""
    return text if len(text) <= width else text[:max(0, width - 1)].rstrip() + "…"
