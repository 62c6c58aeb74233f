"""`[tool.l10n]` in pyproject.toml: documents, paths, the default engine and model, thresholds.

    [tool.l10n]
    source_dir = "source/zh"            # <name>.txt files
    target_dir = "target/en"            # <name>.po, .md, .html, .review.html
    glossary = "glossary.csv"
    documents = ["changchun-equipment"] # the main job runs on these
    published = ["changchun-equipment"] # fuzzy/untranslated entries are errors for these
    engine = "marian"                   # marian | ct2 | llm
    model = "Helsinki-NLP/opus-mt-zh-en"
    batch_size = 8
    beams = 4
    max_length = 256
    device = "auto"                     # auto | cpu | cuda
    max_source_mb = 5

    [tool.l10n.thresholds]              # the mt-quality regression gate
    chrf = 0.0                          # 0–100
    bleu = 0.0                          # 0–100
    terms = 0.0                         # glossary term accuracy of the MT, percent
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import L10nError

DEFAULTS = {
    "source_dir": "source/zh",
    "target_dir": "target/en",
    "glossary": "glossary.csv",
    "documents": [],
    "published": [],
    "engine": "marian",
    "model": "Helsinki-NLP/opus-mt-zh-en",
    "batch_size": 8,
    "beams": 4,
    "max_length": 256,
    "device": "auto",
    "max_source_mb": 5,
    "thresholds": {},
}
THRESHOLDS = {"chrf": 0.0, "bleu": 0.0, "terms": 0.0}


@dataclass
class DocumentPaths:
    name: str
    source: Path
    catalog: Path
    published: bool
    root: Path

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    @property
    def source_display(self) -> str:
        return self.rel(self.source)

    @property
    def catalog_display(self) -> str:
        return self.rel(self.catalog)

    def output(self, suffix: str) -> Path:
        return self.catalog.with_suffix(suffix)


@dataclass
class Config:
    root: Path
    path: Path
    source_dir: Path
    target_dir: Path
    glossary: Path
    documents: list[DocumentPaths]
    engine: str
    model: str
    batch_size: int
    beams: int
    max_length: int
    device: str
    max_source_bytes: int
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def display(self) -> str:
        return self.path.name

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def document(self, name: str) -> DocumentPaths:
        for doc in self.documents:
            if doc.name == name:
                return doc
        return self._doc(name)

    def _doc(self, name: str, published: bool = False) -> DocumentPaths:
        return DocumentPaths(
            name,
            self.source_dir / f"{name}.txt",
            self.target_dir / f"{name}.po",
            published,
            self.root,
        )

    def all_catalogs(self) -> list[Path]:
        return sorted(self.target_dir.glob("*.po")) if self.target_dir.is_dir() else []


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    in_section = False
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.startswith("[tool.l10n")
            continue
        if in_section and pattern.match(line):
            return number
    return None


def _section_line(text: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == "[tool.l10n]":
            return number
    return None


def find_project(start: Path) -> Path:
    for directory in [start, *start.parents]:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                if "[tool.l10n" in candidate.read_text(encoding="utf-8"):
                    return candidate
            except (OSError, UnicodeDecodeError):
                continue
    raise L10nError("no pyproject.toml with a [tool.l10n] section here or above; run from the project directory or pass --config", str(start))


def load_config(path: Path) -> Config:
    display = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise L10nError("no such configuration file", str(path)) from None
    except UnicodeDecodeError:
        raise L10nError("not UTF-8 text", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise L10nError(f"invalid TOML: {err}", display, int(m.group(1)) if m else None) from None
    section = data.get("tool", {}).get("l10n")
    if section is None:
        raise L10nError("no [tool.l10n] section", display)
    root = path.parent
    for key in section:
        if key not in DEFAULTS:
            known = ", ".join(sorted(DEFAULTS))
            raise L10nError(f"unknown key {key!r} in [tool.l10n]; known keys: {known}", display, _key_line(text, key) or _section_line(text))
    values = {**DEFAULTS, **section}

    def expect(key, kind, what):
        if not isinstance(values[key], kind) or isinstance(values[key], bool) and kind is not bool:
            raise L10nError(f"{key} must be {what}", display, _key_line(text, key))

    for key in ("source_dir", "target_dir", "glossary", "engine", "model", "device"):
        expect(key, str, "a string")
    for key in ("documents", "published"):
        expect(key, list, "a list of document names")
        if not all(isinstance(v, str) and v for v in values[key]):
            raise L10nError(f"{key} must be a list of document names", display, _key_line(text, key))
    for key, low, high in (("batch_size", 1, 4096), ("beams", 1, 64), ("max_length", 8, 4096), ("max_source_mb", 1, 1024)):
        expect(key, int, "a whole number")
        if not low <= values[key] <= high:
            raise L10nError(f"{key} = {values[key]} is out of range ({low}–{high})", display, _key_line(text, key))
    if values["engine"] not in ("marian", "ct2", "llm"):
        raise L10nError(f"engine = {values['engine']!r}: choose marian, ct2 or llm", display, _key_line(text, "engine"))
    thresholds = dict(THRESHOLDS)
    raw = values["thresholds"]
    if not isinstance(raw, dict):
        raise L10nError("thresholds must be a table [tool.l10n.thresholds]", display, _key_line(text, "thresholds"))
    for key, value in raw.items():
        if key not in THRESHOLDS:
            raise L10nError(f"unknown threshold {key!r}; known: {', '.join(THRESHOLDS)}", display, _key_line(text, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise L10nError(f"threshold {key} = {value!r} is out of range (a number from 0 to 100)", display, _key_line(text, key))
        thresholds[key] = float(value)
    unknown_published = [p for p in values["published"] if p not in values["documents"]]
    if unknown_published:
        raise L10nError(f"published names {unknown_published[0]!r}, which is not in documents", display, _key_line(text, "published"))
    config = Config(
        root=root,
        path=path,
        source_dir=root / values["source_dir"],
        target_dir=root / values["target_dir"],
        glossary=root / values["glossary"],
        documents=[],
        engine=values["engine"],
        model=values["model"],
        batch_size=values["batch_size"],
        beams=values["beams"],
        max_length=values["max_length"],
        device=values["device"],
        max_source_bytes=values["max_source_mb"] * 1024 * 1024,
        thresholds=thresholds,
    )
    for name in values["documents"]:
        doc = config._doc(name, name in values["published"])
        if not doc.source.is_file():
            raise L10nError(
                f"document {name!r}: {config.rel(doc.source)} does not exist; add the source text or remove the name",
                display,
                _key_line(text, "documents"),
            )
        config.documents.append(doc)
    return config
