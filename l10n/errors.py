"""Errors raised inside the toolkit; the CLI turns them into `path:line: message` and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class L10nError(Exception):
    """Bad input or an unusable environment. Always names the file (and line, where there is one)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        return format_location(self.path, self.line, self.message)


class Unreadable(L10nError):
    """A file that cannot be read as text at all (missing, binary, wrong encoding, too large)."""


class CatalogLocked(L10nError):
    """Another run holds the catalog's lock file."""


class ModelUnavailable(L10nError):
    """The MT model's weights or code cannot be loaded."""


class TranslationAborted(L10nError):
    """Generation failed part-way (device error, out of memory); finished work has been saved."""


def format_location(path: str | None, line: int | None, message: str) -> str:
    if path and line:
        return f"{path}:{line}: {message}"
    if path:
        return f"{path}: {message}"
    return message
