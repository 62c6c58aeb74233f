"""Numbers in Chinese source text and in English translations, compared by value.

Source side: Arabic numbers with optional 万/亿 multipliers (5000万 = 50,000,000; 530亿 =
53,000,000,000; 1.5万 = 15,000), and Chinese numerals where they are clearly numbers: after 第
(第三届 → 3), before a measure word (三年, 六个, 百星) or as a multi-character numeral (二十大 → 20).
A lone 一 is not a number here: in 一路, 一批, 一汽 it is part of a word.

Target side: digits (4,707; 2.5), with "thousand/million/billion" multipliers (50 million),
English number words (three, twenty-one, hundred) and ordinals (third, 20th). A source number is
satisfied when the translation has the same value in any of these forms.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
BIG = {"万": 10_000, "亿": 100_000_000}
MEASURE = "年届颗列辆家户名个次批项座条台套位种所艘架件倍天月日星大期轮"

ARABIC = re.compile(r"(?<![0-9A-Za-z.])(\d+(?:\.\d+)?)(万亿|万|亿)?(?![0-9A-Za-z])")
CHINESE = re.compile(r"(第)?([零〇一二两三四五六七八九十百千]+)([万亿]?)")
ALNUM_ID = re.compile(r"[0-9]+[A-Za-z][0-9A-Za-z]*|[A-Za-z]+[0-9][0-9A-Za-z]*")


def chinese_value(numeral: str) -> int | None:
    if all(c in DIGITS for c in numeral):
        return int("".join(str(DIGITS[c]) for c in numeral))  # 三 → 3, 二〇二三 → 2023
    total = current = 0
    for ch in numeral:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch in UNITS:
            total += (current or 1) * UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def source_numbers(text: str) -> list[tuple[str, Decimal]]:
    """(as written, value) for each number in a Chinese segment."""
    found: list[tuple[str, Decimal]] = []
    ids = {m.span() for m in ALNUM_ID.finditer(text)}
    id_chars = {i for a, b in ids for i in range(a, b)}
    for m in ARABIC.finditer(text):
        if m.start() in id_chars:
            continue
        value = Decimal(m.group(1))
        if m.group(2):
            value *= {"万": 10_000, "亿": 100_000_000, "万亿": 1_000_000_000_000}[m.group(2)]
        found.append((m.group(0), value.normalize()))
    for m in CHINESE.finditer(text):
        ordinal, numeral, big = m.groups()
        after = text[m.end():m.end() + 1]
        if numeral in ("一",) and not ordinal:
            continue
        if len(numeral) == 1 and not ordinal and not big and after not in MEASURE:
            continue
        if len(numeral) == 1 and numeral in UNITS and not ordinal and after not in MEASURE:
            continue
        value = chinese_value(numeral)
        if value is None or value == 0 and not ordinal:
            continue
        amount = Decimal(value) * (BIG[big] if big else 1)
        found.append((m.group(0), amount.normalize()))
    return found


def source_identifiers(text: str) -> list[str]:
    """Model numbers and similar (02A01, 06A, C919) that must appear verbatim."""
    return [m.group(0) for m in ALNUM_ID.finditer(text)]


WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "single": 1, "double": 2, "twin": 2, "dual": 2, "both": 2, "pair": 2, "dozen": 12, "hundred": 100,
    "thousand": 1000, "once": 1, "twice": 2,
}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100,
}
SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}

EN_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:st|nd|rd|th)?(?:\s*-?\s*(thousand|million|billion|trillion)\b)?",
    re.IGNORECASE,
)
EN_WORD = re.compile(r"[A-Za-z]+")


def target_values(text: str) -> set[Decimal]:
    from babel.numbers import NumberFormatError, parse_decimal

    values: set[Decimal] = set()
    for m in EN_NUMBER.finditer(text):
        raw = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
        try:
            value = parse_decimal(raw, locale="en")
        except (NumberFormatError, InvalidOperation):
            continue
        values.add(value.normalize())
        if m.group(3):
            values.add((value * SCALE[m.group(3).lower()]).normalize())
    words = [w.lower() for w in EN_WORD.findall(text)]
    pending = 0
    for i, word in enumerate(words):
        if word in WORDS:
            value = WORDS[word]
            if word in ("hundred", "thousand") and pending:
                value = pending * value
            elif 20 <= value < 100 and i + 1 < len(words) and words[i + 1] in WORDS and WORDS[words[i + 1]] < 10:
                values.add(Decimal(value + WORDS[words[i + 1]]))
            values.add(Decimal(value))
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if nxt in SCALE:
                values.add(Decimal(value * SCALE[nxt]))
            pending = value if value < 100 else 0
        elif word in ORDINALS:
            values.add(Decimal(ORDINALS[word]))
            pending = 0
        elif word == "a" or word == "an":
            pending = 1
        else:
            pending = 0
    for m in re.finditer(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(\w+)", text, re.IGNORECASE):
        tail = m.group(2).lower()
        unit = WORDS.get(tail, ORDINALS.get(tail))
        if unit is not None and unit < 10:
            values.add(Decimal(WORDS[m.group(1).lower()] + unit))
    return {v.normalize() for v in values}


def missing_numbers(source: str, translation: str) -> list[str]:
    """Source numbers (as written) whose value does not appear in the translation."""
    values = target_values(translation)
    missing = [written for written, value in source_numbers(source) if value not in values]
    missing += [ident for ident in source_identifiers(source) if ident not in translation]
    return list(dict.fromkeys(missing))
