"""Which characters are Chinese (CJK) script: the one definition every stage uses.

Two classes, because they are handled differently:
  CJK_LETTERS      Han ideographs (with extensions and compatibility forms), kana and hangul:
                   words that were not translated.
  CJK_PUNCTUATION  ideographic and full-width punctuation and forms (。，、：！（） and the
                   like): in English text these are typographic leftovers.

The curly quotes “ ” ‘ ’ are ordinary English punctuation and are neither.
"""

from __future__ import annotations

import re

_LETTERS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B–G
)
_PUNCTUATION = (
    "\u3000-\u303f"  # CJK symbols and punctuation: 　、。〃〈〉《》「」『』【】〔〕 …
    "\uff00-\uffef"  # half-width and full-width forms: ！（），：；？ …
)

CJK_LETTERS = re.compile(f"[{_LETTERS}]")
CJK_PUNCTUATION = re.compile(f"[{_PUNCTUATION}]")
CJK = re.compile(f"[{_LETTERS}{_PUNCTUATION}]")
CJK_LETTER_RUN = re.compile(f"[{_LETTERS}]+")
CJK_RUN = re.compile(f"[{_LETTERS}{_PUNCTUATION}]+")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """An engine's output as a segment's translation: control characters (which a model can emit,
    and which no PO reader accepts) and line breaks become spaces, and runs of spaces one."""
    return " ".join(_CONTROL.sub(" ", text).split())


def has_cjk_letters(text: str) -> bool:
    """Whether `text` holds untranslated Chinese (or Japanese/Korean) words."""
    return CJK_LETTERS.search(text) is not None


def cjk_leftovers(text: str) -> list[str]:
    """The runs of CJK letters and full-width punctuation in `text` (the words left untranslated,
    as they stand: 配套, not 套配), in order, each once."""
    return list(dict.fromkeys(CJK_RUN.findall(text)))


def is_han(ch: str) -> bool:
    """One character of the core Han block (the characters Chinese text is written in)."""
    return "\u4e00" <= ch <= "\u9fff"
