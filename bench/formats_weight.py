"""What reading and writing TMX/XLIFF/TBX costs to import: the toolkit's own modules (standard
library expat) against translate-toolkit's storage classes (lxml), each in a fresh interpreter,
best of 5; plus the installed size of the packages involved. docs/formats.md quotes the table.

    python bench/formats_weight.py
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = {
    "toolkit (l10n.formats: tmx, xliff, tbx)": ("l10n.formats.tmx", "l10n.formats.xliff", "l10n.formats.tbx"),
    "translate-toolkit (storage: tmx, xliff, xliff2, tbx)": (
        "translate.storage.tmx", "translate.storage.xliff", "translate.storage.xliff2", "translate.storage.tbx"),
    "lxml.etree alone": ("lxml.etree",),
    "xml.parsers.expat alone": ("xml.parsers.expat",),
}
PROBE = """
import sys, time
t = time.perf_counter()
for name in sys.argv[1:]:
    __import__(name)
print((time.perf_counter() - t) * 1000, len(sys.modules))
"""


def import_ms(modules: tuple[str, ...]) -> tuple[float, int]:
    # translate-toolkit's package is called `translate`, like translate.py: run from elsewhere,
    # with the project on the path only for the toolkit's own modules.
    env = dict(os.environ)
    if modules[0].startswith("l10n"):
        env["PYTHONPATH"] = str(ROOT)
    best, count = float("inf"), 0
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True,
                             cwd="/", env=env, check=True).stdout.split()
        best, count = min(best, float(out[0])), int(out[1])
    return best, count


def size_mib(package: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return "not installed"
    folder = Path(list(spec.submodule_search_locations)[0])
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return f"{total / 2**20:.1f} MiB"


def main() -> int:
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}")
    print("| modules | import time (best of 5) | modules loaded |")
    print("|---|---|---|")
    for label, modules in MODULES.items():
        ms, count = import_ms(modules)
        print(f"| {label} | {ms:.1f} ms | {count} |")
    print()
    print("| package | installed size |")
    print("|---|---|")
    for package in ("l10n", "translate", "lxml", "rapidfuzz", "unicode_segmentation_rs"):
        print(f"| {package} | {size_mib(package) if package != 'l10n' else size_mib_folder(ROOT / 'l10n' / 'formats')} |")
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")
    return 0


def size_mib_folder(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.rglob("*.py"))
    return f"{total / 1024:.0f} KiB (l10n/formats, source)"


if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
    raise SystemExit(main())
