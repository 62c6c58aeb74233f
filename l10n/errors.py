"""Errors raised inside the toolkit, and what the user can do about them.

An error names the file (and line, where there is one) and may carry a remedy. A remedy is an
action (run a stage, change an option), not a command line: the library does not know whether it
runs as `translate.py`, as the installed `translate` script or inside someone else's program.
Whoever shows the error renders the remedy in its own terms (see `Style`; the CLI has its own).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class RunStage:
    """Run a stage of the pipeline: update, pretranslate, score, build or check."""

    stage: str
    options: tuple[tuple[str, object], ...] = ()  # (option name, value); True for a switch


@dataclass(frozen=True)
class ChangeOption:
    """Change one of the given options ("lower batch_size or beams", "use device cpu")."""

    names: tuple[str, ...]
    value: object = None
    verb: str = "use"


@dataclass(frozen=True)
class Advice:
    """Anything else, in words that hold wherever the toolkit runs (install a package, set an
    environment variable, edit a file)."""

    text: str


Action = RunStage | ChangeOption | Advice


class Style:
    """How remedies read outside the command line: stages and option names as the library
    calls them."""

    def stage(self, action: RunStage) -> str:
        options = ", ".join(name if value is True else f"{name}={value!r}" for name, value in action.options)
        return f"run the {action.stage} stage" + (f" with {options}" if options else "")

    def option(self, name: str, value: object = None) -> str:
        return f"`{name}`" if value is None else f"`{name} = {value!r}`"

    def render(self, remedy: tuple[Action, ...]) -> str:
        parts = []
        for action in remedy:
            if isinstance(action, RunStage):
                parts.append(self.stage(action))
            elif isinstance(action, Advice):
                parts.append(action.text)
            else:
                names = " or ".join(self.option(n, action.value) for n in action.names)
                parts.append(f"{action.verb} {names}")
        return ", or ".join(parts)


PLAIN = Style()


class L10nError(Exception):
    """Bad input or an unusable environment. Always names the file (and line, where there is one)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 remedy: tuple[Action, ...] = ()):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.remedy = remedy

    def format(self, style: Style = PLAIN) -> str:
        return format_location(self.path, self.line, with_remedy(self.message, self.remedy, style))

    def __str__(self) -> str:
        return self.format()


class Unreadable(L10nError):
    """A file that cannot be read as text at all (missing, binary, wrong encoding, too large)."""


class CatalogLocked(L10nError):
    """Another run holds the catalog's lock."""


class ModelUnavailable(L10nError):
    """The MT model's weights or code cannot be loaded."""


class TranslationAborted(L10nError):
    """Generation failed part-way (device error, out of memory); finished work has been saved."""


def with_remedy(message: str, remedy: tuple[Action, ...], style: Style = PLAIN) -> str:
    return f"{message}; {style.render(remedy)}" if remedy else message


def format_location(path: str | None, line: int | None, message: str) -> str:
    if path and line:
        return f"{path}:{line}: {message}"
    if path:
        return f"{path}: {message}"
    return message
