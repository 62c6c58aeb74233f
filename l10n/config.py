"""`[tool.l10n]` in pyproject.toml: documents, paths, engines and their options, thresholds.

    [tool.l10n]
    source_dir = "source/zh"            # <name>.txt files
    target_dir = "target/en"            # <name>.po, .md, .html, .review.html
    cache_dir = ".l10n-cache"           # converted models, locks
    glossary = "glossary.csv"           # "" runs without a glossary (said explicitly)
    memories = ["tm/agency.tmx"]        # TMX files used as translation memory (l10n.formats.tmx)
    documents = ["changchun-equipment"] # names or glob patterns ("*", "2026-11/*")
    published = ["changchun-equipment"] # fuzzy/untranslated entries are errors for these
    engine = "marian"                   # the default engine
    model = "Helsinki-NLP/opus-mt-zh-en"  # the default engine's model
    batch_size = 8                      # options every engine takes, defaults for all of them
    max_length = 256
    device = "auto"
    threads = 0
    max_source_mb = 5
    ray = ""                            # pretranslate on a Ray cluster: "auto", "local", HOST:PORT
    ray_workers = 0                     # Ray workers (0: one per GPU, else per `threads` CPUs)

    [tool.l10n.engines.marian]          # one table per engine: its own options (l10n.engines)
    beams = 4

    [tool.l10n.thresholds]              # the mt-quality regression gate, 0–100
    chrf = 0.0
    bleu = 0.0
    terms = 0.0                         # glossary term accuracy of the MT, percent

Every error names the line of pyproject.toml it is about.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .engines import ENGINES, EngineOptions, option_fields, option_type
from .errors import L10nError
from .textio import read_text

THRESHOLDS = {"chrf": 0.0, "bleu": 0.0, "terms": 0.0}
COMMON_OPTIONS = {f.name for f in option_fields(EngineOptions)} - {"model"}
SCALARS = {
    "source_dir": "source/zh",
    "target_dir": "target/en",
    "cache_dir": ".l10n-cache",
    "glossary": "glossary.csv",
    "engine": "marian",
    "max_source_mb": 5,
    "ray": "",  # "" (in this process), "auto", "local" or a cluster address (l10n.distributed)
    "ray_workers": 0,  # 0: one per GPU of the cluster, else one per `threads` CPUs
}
TABLE_KEYS = ("documents", "published", "model", "engines", "thresholds", "memories", *SCALARS,
              *sorted(COMMON_OPTIONS))
# A document name: path components of letters, digits, and - _ . (not leading), separated by /.
_NAME_PART = re.compile(r"[^\W_][\w.-]*", re.UNICODE)
_PATTERN_PART = re.compile(r"[\w.*?\[\]!-]+", re.UNICODE)
MOVED = {"beams": "[tool.l10n.engines.marian] (or .ct2, .llm)"}


def display_path(root: Path, path: Path) -> str:
    """`path` relative to the project root where it lies inside it (as written, links not
    followed), else as given."""
    for a, b in ((path.absolute(), root.absolute()), (path.resolve(), root.resolve())):
        try:
            return a.relative_to(b).as_posix()
        except ValueError:
            continue
    return str(path)


@dataclass
class DocumentPaths:
    name: str
    source: Path
    catalog: Path
    published: bool
    root: Path

    @property
    def source_display(self) -> str:
        return display_path(self.root, self.source)

    @property
    def catalog_display(self) -> str:
        return display_path(self.root, self.catalog)

    def output(self, suffix: str) -> Path:
        return self.catalog.with_suffix(suffix)


@dataclass
class Config:
    root: Path
    path: Path
    source_dir: Path
    target_dir: Path
    cache_dir: Path
    glossary: Path | None  # None: the project runs without a glossary, as it says
    documents: list[DocumentPaths]
    engine: str
    engine_options: dict[str, EngineOptions]
    max_source_bytes: int
    thresholds: dict[str, float] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # "table.key" → line in pyproject.toml
    memories: list[Path] = field(default_factory=list)  # TMX files from `memories`

    @property
    def memory_dir(self) -> Path:
        """Where imported memories are kept: the cache folder, never the catalogs."""
        return self.cache_dir / "memories"
    ray: str = ""  # where pre-translation runs its model: "" here, else a Ray cluster (l10n.distributed)
    ray_workers: int = 0

    @property
    def display(self) -> str:
        return self.rel(self.path)

    def rel(self, path: Path) -> str:
        return display_path(self.root, path)

    def line_of(self, key: str, table: str = "tool.l10n") -> int | None:
        """The line of `key` in `table` of pyproject.toml, else the table's own line."""
        return self.lines.get(f"{table}.{key}") or self.lines.get(table)

    def document(self, name: str) -> DocumentPaths:
        for doc in self.documents:
            if doc.name == name:
                return doc
        return _document(self, check_name(name, self.display, None), False)

    def all_catalogs(self) -> list[Path]:
        return sorted(self.target_dir.rglob("*.po")) if self.target_dir.is_dir() else []

    def lock_path(self, catalog: Path) -> Path:
        """Where the lock of a catalog lives: the cache folder, out of the translators' sight."""
        import hashlib

        key = hashlib.sha256(self.rel(catalog).encode("utf-8")).hexdigest()[:12]
        return self.cache_dir / "locks" / f"{catalog.stem}-{key}.lock"

    def writable(self, path: Path) -> Path:
        """`path`, if writing it stays inside the target or cache folder once every symbolic link
        is followed (and that folder inside the project); otherwise an error naming the
        configuration line, raised before anything is written. Reading is not restricted."""
        root = self.root.resolve()
        for folder, key in ((self.target_dir, "target_dir"), (self.cache_dir, "cache_dir")):
            if not _inside(path.absolute(), folder.absolute()):
                continue
            real_folder = folder.resolve()
            if not _inside(real_folder, root):
                raise L10nError(f"refusing to write {self.rel(path)}: {key} resolves to {real_folder}, outside the "
                                f"project {root}", self.display, self.line_of(key))
            real = path.resolve()
            if not _inside(real, real_folder):
                raise L10nError(f"refusing to write {self.rel(path)}: it resolves to {real}, outside {key} "
                                f"{self.rel(folder)} (a symbolic link?)", self.display, self.line_of(key))
            return path
        raise L10nError(f"refusing to write {path}: outside the target folder {self.rel(self.target_dir)} and the "
                        f"cache folder {self.rel(self.cache_dir)}", self.display, self.line_of("documents"))

    def engine_options_for(self, name: str, **overrides) -> EngineOptions:
        """The options of engine `name`: its class defaults, then [tool.l10n], then its own table,
        then `overrides` (None values are ignored), all validated."""
        options = self.engine_options[name]
        changes = {k: v for k, v in overrides.items() if v is not None}
        own = {f.name for f in option_fields(type(options))}
        for key, value in changes.items():
            flag = f"--{key.replace('_', '-')}"
            if key not in own:
                takers = [n for n, spec in ENGINES.items() if key in {f.name for f in option_fields(spec.options)}]
                raise L10nError(f"{flag} is an option of the {' and '.join(takers)} engine, not of {name}")
            _validate_option(type(options), key, value, flag, None, None)
        return replace(options, **changes)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _document(config: Config, name: str, published: bool) -> DocumentPaths:
    return DocumentPaths(
        name,
        config.source_dir / f"{name}.txt",
        config.target_dir / f"{name}.po",
        published,
        config.root,
    )


def check_name(name: str, display: str, line: int | None, pattern: bool = False) -> str:
    """A document name (or pattern): relative, made of safe characters, no `..`."""
    if not isinstance(name, str) or not name:
        raise L10nError("a document name must be a non-empty string", display, line)
    problem = None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        problem = "has a control character"
    elif name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        problem = "is an absolute path"
    elif "\\" in name:
        problem = "uses \\ (separate folders with /)"
    else:
        parts = name.split("/")
        if ".." in parts:
            problem = "has a .. component"
        elif any(not (_PATTERN_PART if pattern else _NAME_PART).fullmatch(p) or p.startswith(".") for p in parts):
            problem = "may use only letters, digits, - _ . and / (not at the start of a part)"
    if problem:
        raise L10nError(
            f"document name {name!r} {problem}; a document is named by its path under source_dir, "
            "without .txt", display, line)
    return name


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


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


def key_lines(text: str) -> dict[str, int]:
    """"table.key" → line, and "table" → line of its header, for the tables of a TOML file.
    Enough TOML for error messages: plain tables and bare or quoted keys."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.split("\n"), start=1):
        m = _TABLE.match(line)
        if m and not line.lstrip().startswith("[["):
            table = ".".join(part.strip().strip("\"'") for part in m.group(1).split("."))
            lines.setdefault(table, number)
            continue
        m = _KEY.match(line)
        if m and table:
            lines.setdefault(f"{table}.{m.group(1).strip(chr(34))}", number)
    return lines


def _validate_option(cls: type[EngineOptions], key: str, value, flag: str, display, line, table: str = ""):
    """Check one option value against its field; `flag` is how the user wrote the key (a CLI
    flag, or the key itself with `table` saying where)."""
    spec = {f.name: f for f in option_fields(cls)}.get(key)
    where = f" in [{table}]" if table else ""
    if spec is None:
        known = ", ".join(sorted(f.name for f in option_fields(cls)))
        raise L10nError(f"unknown option {flag}{where}; known: {known}", display, line)
    kind = option_type(spec)
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        noun = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}[kind]
        raise L10nError(f"{flag}{where} must be {noun}", display, line)
    low_high = spec.metadata.get("range")
    if low_high and not low_high[0] <= value <= low_high[1]:
        raise L10nError(f"{flag} = {value}{where} is out of range ({low_high[0]}–{low_high[1]})", display, line)
    choices = spec.metadata.get("choices")
    if choices and value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise L10nError(f"{flag} = {value!r}{where}: choose one of {shown}", display, line)


def _expand(config: Config, names: list[str], key: str, display: str, line: int | None) -> list[str]:
    """Document names, with glob patterns expanded against the source folder (sorted)."""
    found: list[str] = []
    for name in names:
        check_name(name, display, line, pattern=True)
        if not any(ch in name for ch in "*?["):
            found.append(name)
            continue
        matches = sorted(
            p.relative_to(config.source_dir).with_suffix("").as_posix()
            for p in config.source_dir.rglob("*.txt")
            if p.is_file() and fnmatch.fnmatchcase(p.relative_to(config.source_dir).with_suffix("").as_posix(), name)
        )
        if key == "documents" and not matches:
            raise L10nError(f"documents pattern {name!r} matches no .txt file in {config.rel(config.source_dir)}",
                            display, line)
        found += [check_name(m, display, line) for m in matches]
    return list(dict.fromkeys(found))


def load_config(path: Path) -> Config:
    """Read and validate the configuration. Like every path in messages, the file is named
    relative to the project root (its own folder); only an unreadable file is named as given."""
    text = read_text(path, str(path), "configuration file", max_bytes=None)
    display = path.name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise L10nError(f"invalid TOML: {err}", display, int(m.group(1)) if m else None) from None
    section = data.get("tool", {}).get("l10n")
    if section is None:
        raise L10nError("no [tool.l10n] section", display)
    lines = key_lines(text)

    def line(key: str, table: str = "tool.l10n") -> int | None:
        return lines.get(f"{table}.{key}") or lines.get(table)

    for key in section:
        if key in MOVED:
            raise L10nError(f"{key} now belongs in {MOVED[key]}", display, line(key))
        if key not in TABLE_KEYS:
            known = ", ".join(sorted(TABLE_KEYS))
            raise L10nError(f"unknown key {key!r} in [tool.l10n]; known keys: {known}", display, line(key))
    values = {**SCALARS, **{k: v for k, v in section.items() if k in SCALARS}}
    for key in ("source_dir", "target_dir", "cache_dir", "glossary", "engine"):
        if not isinstance(values[key], str):
            raise L10nError(f"{key} must be a string", display, line(key))
    for key in ("source_dir", "target_dir", "cache_dir", "engine"):
        if not values[key].strip():
            raise L10nError(f"{key} must not be empty", display, line(key))
    if isinstance(values["max_source_mb"], bool) or not isinstance(values["max_source_mb"], int) \
            or not 1 <= values["max_source_mb"] <= 1024:
        raise L10nError(f"max_source_mb = {values['max_source_mb']!r} is out of range (a whole number, 1–1024)",
                        display, line("max_source_mb"))
    if not isinstance(values["ray"], str):
        raise L10nError("ray must be a string: \"auto\", \"local\" or a cluster address", display, line("ray"))
    from .distributed import address_problem

    problem = address_problem(values["ray"]) if values["ray"] else None
    if problem:
        raise L10nError(f"ray = {values['ray']!r}: {problem}", display, line("ray"))
    if isinstance(values["ray_workers"], bool) or not isinstance(values["ray_workers"], int) \
            or not 0 <= values["ray_workers"] <= 4096:
        raise L10nError(f"ray_workers = {values['ray_workers']!r} is out of range (a whole number, 0–4096)",
                        display, line("ray_workers"))
    if values["engine"] not in ENGINES:
        raise L10nError(f"engine = {values['engine']!r}: choose {', '.join(ENGINES)}", display, line("engine"))
    root = path.parent
    for key in ("target_dir", "cache_dir"):
        if Path(values[key]).is_absolute() or ".." in Path(values[key]).parts:
            raise L10nError(f"{key} = {values[key]!r} is not a folder inside the project; the toolkit writes only "
                            "inside the project", display, line(key))

    engine_options = _engine_options(section, values["engine"], str(root / values["cache_dir"]), display, line)
    thresholds = _thresholds(section.get("thresholds", {}), display, line)
    glossary = None
    if values["glossary"] != "":
        glossary = root / values["glossary"]
        if not glossary.is_file():
            found = "is not a file" if glossary.exists() else "does not exist"
            raise L10nError(
                f"glossary {values['glossary']!r} {found}; restore it, or say glossary = \"\" to run without one",
                display, line("glossary"))
    memories = _memories(section.get("memories", []), root, display, line("memories"))
    config = Config(
        root=root,
        path=path,
        source_dir=root / values["source_dir"],
        target_dir=root / values["target_dir"],
        cache_dir=root / values["cache_dir"],
        glossary=glossary,
        documents=[],
        engine=values["engine"],
        engine_options=engine_options,
        max_source_bytes=values["max_source_mb"] * 1024 * 1024,
        thresholds=thresholds,
        lines=lines,
        memories=memories,
        ray=values["ray"],
        ray_workers=values["ray_workers"],
    )
    for key in ("documents", "published"):
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise L10nError(f"{key} must be a list of document names", display, line(key))
    names = _expand(config, section.get("documents", []), "documents", display, line("documents"))
    published = set(_expand(config, section.get("published", []), "published", display, line("published")))
    unknown = sorted(published - set(names))
    if unknown:
        raise L10nError(f"published names {unknown[0]!r}, which is not in documents", display, line("published"))
    for name in names:
        doc = _document(config, name, name in published)
        if not doc.source.is_file():
            found = "is not a file" if doc.source.exists() else "does not exist"
            raise L10nError(
                f"document {name!r}: {config.rel(doc.source)} {found}; add the source text or remove the name",
                display, line("documents"))
        config.documents.append(doc)
    return config


def _engine_options(section: dict, default_engine: str, cache_dir: str, display: str, line) -> dict[str, EngineOptions]:
    tables = section.get("engines", {})
    if not isinstance(tables, dict):
        raise L10nError("engines must be tables [tool.l10n.engines.<name>]", display, line("engines"))
    for name in tables:
        if name not in ENGINES:
            raise L10nError(f"unknown engine table [tool.l10n.engines.{name}]; engines: {', '.join(ENGINES)}",
                            display, line(name, "tool.l10n.engines") or line(name, f"tool.l10n.engines.{name}"))
    result = {}
    for name, spec in ENGINES.items():
        changes: dict = {"cache_dir": cache_dir}
        common = {k: section[k] for k in COMMON_OPTIONS if k in section}
        if "model" in section and name == default_engine:
            common["model"] = section["model"]
        own = tables.get(name, {})
        if not isinstance(own, dict):
            raise L10nError(f"engines.{name} must be a table", display, line(name, "tool.l10n.engines"))
        for key, value in common.items():
            _validate_option(spec.options, key, value, key, display, line(key))
            changes[key] = value
        for key, value in own.items():
            table = f"tool.l10n.engines.{name}"
            _validate_option(spec.options, key, value, key, display, line(key, table), table)
            changes[key] = value
        result[name] = spec.options(**changes)
    return result


def _memories(raw, root: Path, display: str, line: int | None) -> list[Path]:
    """The `memories` list: TMX files that exist, named relative to the project."""
    if not isinstance(raw, list) or not all(isinstance(name, str) and name.strip() for name in raw):
        raise L10nError('memories must be a list of file names, e.g. memories = ["tm/agency.tmx"]', display, line)
    paths = []
    for name in raw:
        path = root / name
        if not path.is_file():
            found = "is not a file" if path.exists() else "does not exist"
            raise L10nError(f"memory {name!r} {found}; add the TMX file or remove it from memories", display, line)
        paths.append(path)
    return paths


def _thresholds(raw, display: str, line) -> dict[str, float]:
    thresholds = dict(THRESHOLDS)
    if not isinstance(raw, dict):
        raise L10nError("thresholds must be a table [tool.l10n.thresholds]", display, line("thresholds"))
    table = "tool.l10n.thresholds"
    for key, value in raw.items():
        if key not in THRESHOLDS:
            raise L10nError(f"unknown threshold {key!r}; known: {', '.join(THRESHOLDS)}", display, line(key, table))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise L10nError(f"threshold {key} = {value!r} is out of range (a number from 0 to 100)", display, line(key, table))
        thresholds[key] = float(value)
    return thresholds

