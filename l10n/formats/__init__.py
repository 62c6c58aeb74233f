"""Exchange formats of the translators' other tools: TMX (translation memory), XLIFF (bilingual
files for CAT tools such as OmegaT and Trados) and TBX (termbases).

Each format has its own module; they share a small XML layer (l10n.formats.xml) built on the
standard library's expat, so importing them costs nothing that `--check` would notice and the
toolkit needs no XML package at run time. docs/formats.md explains the choice.
"""

from __future__ import annotations

import re

SOURCE_LANG = "zh-Hans"  # BCP 47, as XLIFF 2 and TBX want it
TARGET_LANG = "en"

# Simplified Chinese as other tools label it: zh, zh-CN, zh-SG, zh-Hans(-…); not zh-TW/HK/MO or
# zh-Hant, whose text is Traditional Chinese and would never match a simplified source.
_ZH_HANS = re.compile(r"^zh(?:[-_](?:hans(?:[-_].*)?|cn|sg|chs))?$", re.IGNORECASE)
_EN = re.compile(r"^en(?:[-_].*)?$", re.IGNORECASE)


def is_source_language(code: str | None) -> bool:
    return bool(code) and bool(_ZH_HANS.match(code.strip()))


def is_target_language(code: str | None) -> bool:
    return bool(code) and bool(_EN.match(code.strip()))
