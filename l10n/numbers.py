"""Numbers in Chinese source text: value, kind and English rendering; and the check that each
one reaches the English translation.

Every number of a Chinese segment becomes a `Number`: its written form and span, its kind, its
value, and a deterministic English rendering (248.6亿 → "24.86 billion", 248.6亿美元 →
"US$24.86 billion", 3月8日 → "March 8", 三万五千人 → "35,000"). The kinds:

  cardinal    108颗, 三万五千, 两亿三千万, 三万五 (compound numerals and their shorthand)
  decimal     3.5万, 248.6亿, 1.2 (a fraction, or a 万/亿 multiplier after digits)
  percent     35%, 百分之三十五, 百分之三点五, 三成 (= 30%), 2个百分点 (percentage points)
  money       5000万元, 248.6亿美元, 3亿欧元: the amount and its currency
  range       3-5年, 三至五年, 5000万至1亿元, 1—9月, 两三天: both ends
  date        2023年, 1月, 3月8日, 2023年3月8日, 8日, 3·15, 90年代 (a decade)
  duration    9年来, 15个月, 三天, 两周, 24小时: the value and its unit
  ordinal     第3个月, 第三届, 二十大, 21世纪, 70周年 (third, 20th; digits are accepted too)
  fraction    三分之一 (one third, 1/3, 33%)
  times       3倍 (three times, threefold, tripled)
  plan        十四五 (the 14th Five-Year Plan)
  identifier  02A01, C919, 5G: copied verbatim

Deliberately not numbers: a lone 一 (一路, 一批, 一汽); a numeral inside a set phrase (千方百计,
第一时间); a single numeral character not followed by a measure word (三亚, 四川, 千万不要); a
vague amount (几十, 上百, 十几); two numeral digits that are not consecutive (三五成群, 五一); three
or more numeral digits not followed by 年 (九一八).

The English side is read once per translation (`EnglishNumbers`): digits with or without
grouping (4,707; 24.86), multipliers (50 million, 24.86bn; "50-100 million" gives both ends),
number words (thirty-five thousand, a hundred, twenty-first), multiplicatives (twice,
threefold), month names, and what follows a number (%, percent, a currency, a unit). A source
number is satisfied when the translation has its value in the form its kind needs. Everything
here is plain Python, one pass over each text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# --- Chinese numerals ---------------------------------------------------------------------

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
BIG = {"万": 10_000, "亿": 100_000_000}
NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿"

# A single numeral character counts as a number only before one of these (三年, 六个, 百星, 二十大).
MEASURE = set("年届颗列辆家户名个次批项座条台套位种所艘架件倍天月日星大期轮人口元米吨岁周部场份张本篇层栋号度点亩级支只头匹棵根片块股节处道类组队对群幢间楼国成")
MEASURE2 = ("小时", "分钟", "公里", "公斤", "公顷", "平方", "立方", "千米", "千克", "千瓦", "兆瓦", "星期")
VAGUE_BEFORE = set("几数上成好")      # 几十, 数百, 上百, 成千: no definite amount
IDIOMS = (
    "一五一十", "三番五次", "四面八方", "五湖四海", "七上八下", "九牛一毛", "十全十美", "百花齐放",
    "百尺竿头", "千军万马", "万众一心", "一心一意", "三心二意", "千载难逢", "万无一失", "一举两得",
    "三令五申", "七嘴八舌", "九死一生", "十拿九稳", "百发百中", "千变万化", "万紫千红", "接二连三",
    "一清二楚", "独一无二", "乱七八糟", "四通八达", "五花八门", "五颜六色", "百年大计", "十万火急",
    "一分为二", "三天两头", "三言两语", "半斤八两", "五光十色", "四分五裂", "千丝万缕", "千里迢迢",
    "百里挑一", "九霄云外", "三三两两", "千方百计", "千家万户", "千千万万", "成千上万", "万里长城",
    "不管三七二十一", "第一时间", "第一线", "十字路口", "七七八八", "百分百", "三五成群", "九九归一",
    "五体投地", "六神无主", "一日千里", "千钧一发", "百年不遇", "千篇一律", "万古长青",
)
_IDIOM = re.compile("|".join(sorted(map(re.escape, IDIOMS), key=len, reverse=True)))


def chinese_value(numeral: str) -> int | None:
    """The value of a Chinese numeral (三万五千 → 35000, 两亿三千万 → 230000000, 三万五 → 35000,
    一百零五 → 105; 二〇二三 → 2023 read digit by digit), or None when it is not well formed."""
    if not numeral:
        return None
    if all(c in DIGITS for c in numeral):
        return int("".join(str(DIGITS[c]) for c in numeral))
    total = wan = section = 0
    current: int | None = None
    last_unit = 0            # the unit just before a final digit: 三万五 = 35,000
    smallest = 10 ** 9       # inside one section units must fall: 千 > 百 > 十
    previous = ""
    for ch in numeral:
        if ch in DIGITS:
            if current is not None:
                return None  # two digits in a row inside a compound numeral
            current = DIGITS[ch] or None
            if not DIGITS[ch]:
                last_unit = 0
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit >= smallest:
                return None
            section += (1 if current is None else current) * unit
            current, smallest, last_unit = None, unit, unit
        elif ch == "万":
            if wan or not (section or current):
                return None
            wan = (section + (current or 0)) * 10_000
            section, current, smallest, last_unit = 0, None, 10 ** 9, 10_000
        else:  # 亿
            value = total + wan + section + (current or 0)
            if not value:
                return None
            total, wan, section, current, smallest, last_unit = value * 100_000_000, 0, 0, None, 10 ** 9, 100_000_000
        previous = ch
    if current is not None and previous in DIGITS and last_unit > 10:
        current *= last_unit // 10
    return total + wan + section + (current or 0)


# --- the model ----------------------------------------------------------------------------

CURRENCIES = {  # source word → (code, English prefix, English suffix)
    "人民币": ("CNY", "", " yuan"), "元": ("CNY", "", " yuan"), "美元": ("USD", "US$", ""),
    "欧元": ("EUR", "", " euros"), "英镑": ("GBP", "£", ""), "日元": ("JPY", "", " yen"),
    "港元": ("HKD", "HK$", ""), "港币": ("HKD", "HK$", ""), "韩元": ("KRW", "", " won"),
    "卢布": ("RUB", "", " rubles"), "澳元": ("AUD", "A$", ""), "加元": ("CAD", "C$", ""),
}
CURRENCY_WORDS = tuple(sorted((w for w in CURRENCIES if w != "元"), key=len, reverse=True))
NOT_CURRENCY = ("元素", "元件", "元旦", "元年", "元首", "元宵", "元器件")
DURATION_UNITS = (("个月", "month"), ("小时", "hour"), ("分钟", "minute"), ("星期", "week"), ("天", "day"),
                  ("周", "week"), ("秒", "second"))
NOT_DURATION = ("周边", "周末", "周期", "周岁", "天然", "天津", "天下", "天地", "天空", "秒杀")  # 16周岁: 16 years of age
NOT_TENTHS = ("成员", "成立", "成为", "成功", "成果", "成本", "成长", "成熟", "成交", "成绩", "成效", "成品",
              "成都", "成就", "成型", "成套", "成片", "成群", "成批", "成规模")


@dataclass(frozen=True)
class Number:
    """One number of a Chinese segment."""

    written: str             # as in the source: 248.6亿美元, 3月8日, 第3个月
    start: int
    end: int
    kind: str                # cardinal, decimal, percent, money, range, date, duration, ordinal, …
    value: Decimal | None    # the amount; a range's low end; None for a date of several parts
    english: str             # the deterministic English rendering
    unit: str = ""           # duration unit (year, month, …), currency code, "point", "decade"
    high: Decimal | None = None   # a range's high end; a fraction's denominator
    date: tuple[int | None, int | None, int | None] = (None, None, None)   # (year, month, day)
    inner: str = ""          # a range: what its ends are (cardinal, money, month, year, …)


@dataclass(frozen=True)
class NumberProblem:
    """A source number the translation does not carry: what was written and what was expected."""

    written: str
    expected: str
    kind: str

    def __str__(self) -> str:
        return f"{self.written} → expected {self.expected}"


# --- English rendering ---------------------------------------------------------------------

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ORDINAL_WORDS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))


def plain(value: Decimal) -> str:
    """Digits with thousands separators: 35,000; 3.5; 24.86."""
    value = value.normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    whole, _, fraction = format(value, "f").partition(".")
    return f"{int(whole):,}.{fraction}"


def amount(value: Decimal) -> str:
    """News style for amounts: 50 million, 24.86 billion, 35,000."""
    for scale, name in SCALES:
        if value >= scale:
            quotient = value / scale
            if quotient == quotient.quantize(Decimal("0.001")):
                return f"{plain(quotient)} {name}"
            break
    return plain(value)


def count(value: Decimal) -> str:
    """One through nine spelled out; larger amounts as `amount`."""
    if value == value.to_integral_value() and 0 <= value < 10:
        return ONES[int(value)]
    return amount(value)


def ordinal_digits(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ordinal(value: Decimal) -> str:
    """first … ninth, then 10th, 21st, 22nd."""
    n = int(value)
    return ORDINAL_WORDS[n] if 0 <= n < 10 else ordinal_digits(n)


def money(value: Decimal, code: str) -> str:
    prefix, suffix = next((p, s) for c, p, s in CURRENCIES.values() if c == code)
    return f"{prefix}{amount(value)}{suffix}"


def duration(value: Decimal, unit: str) -> str:
    return f"{count(value)} {unit}{'' if value == 1 else 's'}"


def date_english(year: int | None, month: int | None, day: int | None) -> str:
    if month and day:
        text = f"{MONTHS[month - 1]} {day}"
        return f"{text}, {year}" if year else text
    if month:
        return f"{MONTHS[month - 1]} {year}" if year else MONTHS[month - 1]
    if day:
        return f"the {ordinal_digits(day)}"
    return str(year)


# --- reading the source --------------------------------------------------------------------

FULLWIDTH = str.maketrans("０１２３４５６７８９％", "0123456789%")
ALNUM_ID = re.compile(r"[0-9]+[A-Za-z][0-9A-Za-z]*|[A-Za-z]+[0-9][0-9A-Za-z]*")
# digits inside a web or e-mail address are the `verbatim` check's business
ADDRESS = re.compile(r"(?:https?://|ftp://|www\.)[\x21-\x7e]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
UNIT_SUFFIX = re.compile(r"([0-9]+)(km|kg|kV|kW|kWh|MW|GW|GWh|TWh|mm|cm|nm|m|t|Mbps|Gbps|KB|MB|GB|TB|Hz|kHz|MHz|GHz|mAh|Wh|V|W|h|L|ml|mg|g)")
ARABIC = r"\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?"
ATOM = re.compile(rf"(第)?(?:({ARABIC})|([{NUMERAL_CHARS}]+))")
FRACTION = re.compile(rf"({ARABIC}|[{NUMERAL_CHARS}]+)分之({ARABIC}|[{NUMERAL_CHARS}点]+)")
PLAN = re.compile(r"十([一二三四五])五(?![年个万亿])")
DOT_DATE = re.compile(r"(?<![\d.])(\d{1,2})·(\d{1,2})(?!\d)")
DECIMAL_POINT = re.compile(r"点([零〇一二三四五六七八九]+)")
RANGE_LINK = re.compile(r"\s*(?:—{1,2}|[-–~～至到－])\s*")
HOLIDAY_AFTER = ("黄金周", "假期", "长假", "国庆", "期间")


@dataclass
class _Atom:
    start: int
    end: int
    value: Decimal
    ordinal: bool = False
    unit: str = ""          # see _unit()
    scaled: bool = False    # a 万/亿 multiplier after digits: 5000万, 248.6亿
    pair: tuple[int, int] | None = None   # 两三 (two or three)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _multiplier(text: str, i: int) -> tuple[Decimal, int]:
    """The multiplier after Arabic digits at text[i:] (万, 亿, 万亿, 千万, 百万, 千; 多/余 before
    万 or 亿) and where it ends; (1, i) when there is none."""
    j = i
    if text[j:j + 1] in ("多", "余") and text[j + 1:j + 2] in BIG:
        j += 1
    factor = Decimal(1)
    if text[j:j + 1] in UNITS and text[j + 1:j + 2] in BIG:
        factor, j = Decimal(UNITS[text[j]]), j + 1
    if text[j:j + 1] in BIG:
        while text[j:j + 1] in BIG:
            factor, j = factor * BIG[text[j]], j + 1
        return factor, j
    if text[j:j + 1] in UNITS and text[j + 1:j + 2] not in ("米", "克", "瓦"):   # 5千 = 5,000; 5千米 = 5 km
        return Decimal(UNITS[text[j]]), j + 1
    return Decimal(1), i


def _unit(text: str, i: int, value: Decimal, year_like: bool) -> tuple[str, int]:
    """The unit after a number at text[i:] and where it ends; ("", i) when there is none."""
    j = i + 1 if text[i:i + 1] in ("多", "余") else i
    rest = text[j:j + 4]
    integral = value == value.to_integral_value()
    if rest.startswith("个百分点"):
        return "point", j + 4
    if rest.startswith("%"):
        return "percent", j + 1
    for word in CURRENCY_WORDS:
        if rest.startswith(word):
            return "money:" + CURRENCIES[word][0], j + len(word)
    if rest.startswith("元") and not rest.startswith(NOT_CURRENCY):
        return "money:CNY", j + 1
    if rest.startswith("年代"):
        return "decade", j + 2
    if rest.startswith("世纪"):
        return "century", j + 2
    if rest.startswith("周年"):
        return "anniversary", j + 2
    if rest.startswith(NOT_DURATION):
        return "", i
    for word, unit in DURATION_UNITS:
        if rest.startswith(word):
            return "duration:" + unit, j + len(word)
    if rest.startswith("年"):
        if year_like and integral and 1000 <= value <= 2999:
            return "year", j + 1
        return "duration:year", j + 1
    if rest.startswith("月") and integral and 1 <= value <= 12:
        return "month", j + 1
    if rest.startswith("日") and integral and 1 <= value <= 31:
        return "day", j + 1
    if rest.startswith("号") and integral and 1 <= value <= 31:
        return "day-number", j + 1     # a day only right after a month (3月8号); else No. 3
    if rest.startswith("倍"):
        return "times", j + 1
    if rest.startswith("成") and integral and 1 <= value <= 9 and j == i and not rest.startswith(NOT_TENTHS):
        return "tenths", j + 1
    return "", i


def _measure_follows(text: str, i: int) -> bool:
    j = i
    while text[j:j + 1] in ("多", "余", "来"):
        j += 1
    return text[j:j + 1] in MEASURE or text.startswith(MEASURE2, j) or text[j:j + 1] == "%"


def _chinese_atom(text: str, start: int, end: int, ordinal_mark: bool) -> _Atom | None:
    numeral = text[start:end]
    if numeral == "一" and not ordinal_mark:       # 一路, 一批, 一汽: the commonest case, decided first
        return None
    # 三至五年: the first end of a range takes the measure word of the second
    measured = _measure_follows(text, end) or (text[end:end + 1] in "至到-—~～" and text[end + 1:end + 2] in DIGITS)
    if not ordinal_mark:
        if numeral[0] in BIG:
            return None
        if start and text[start - 1] in VAGUE_BEFORE and numeral[0] in UNITS:
            return None
        if start and text[start - 1] == "双":                  # 双十一: Singles' Day
            return None
        if numeral in ("十一", "五一") and text.startswith(HOLIDAY_AFTER, end):
            return None
        if text[end:end + 1] == "几":                          # 十几个: vague
            return None
        if len(numeral) == 1 and not measured:
            return None
        if numeral[0] in "百千" and len(numeral) <= 2 and not measured:
            return None
    pair = None
    if all(c in DIGITS for c in numeral) and len(numeral) >= 2 and not ordinal_mark:
        if len(numeral) == 2:
            a, b = DIGITS[numeral[0]], DIGITS[numeral[1]]
            if not (a and b == a + 1 and measured):
                return None                                     # 三五成群, 五一, 一一
            pair = (a, b)
        elif not text.startswith("年", end):
            return None                                         # 九一八: a name, not 918
    value = chinese_value(numeral) if pair is None else pair[0]
    if value is None or (value == 0 and not ordinal_mark):
        return None
    # 二十大, 十四届: a numbered congress or session is an ordinal without 第
    congress = value >= 10 and text[end:end + 1] in ("大", "届")
    return _Atom(start, end, Decimal(value), ordinal=ordinal_mark or congress, pair=pair)


def _atoms(text: str, taken: bytearray) -> list[_Atom]:
    atoms: list[_Atom] = []
    for m in ATOM.finditer(text):
        ordinal_mark = bool(m.group(1))
        begin = m.start(2) if m.group(2) else m.start(3)
        if taken[begin]:
            continue
        if m.group(2):
            before = text[begin - 1:begin]
            if before == "." or (before.isascii() and before.isalnum()):
                continue
            value = _decimal(m.group(2))
            if value is None:
                continue
            factor, end = _multiplier(text, m.end(2))
            atom = _Atom(begin, end, value * factor, ordinal=ordinal_mark, scaled=factor >= 10_000)
            year_like = factor == 1 and len(m.group(2)) == 4 and m.group(2).isdigit()
        else:
            atom = _chinese_atom(text, begin, m.end(3), ordinal_mark)
            if atom is None:
                continue
            year_like = len(m.group(3)) == 4 and all(c in DIGITS for c in m.group(3))
            point = DECIMAL_POINT.match(text, atom.end)
            if point and atom.pair is None and not ordinal_mark:     # 三点五倍 = 3.5 times
                atom.value = Decimal(f"{int(atom.value)}.{''.join(str(DIGITS[c]) for c in point.group(1))}")
                atom.end = point.end()
        if atom.pair is None:
            atom.unit, atom.end = _unit(text, atom.end, atom.value, year_like)
        if ordinal_mark:
            atom.start -= 1
        atoms.append(atom)
        taken[atom.start:atom.end] = b"\x01" * (atom.end - atom.start)
    return atoms


def _describe(atom: _Atom) -> tuple[str, str, str]:
    """(kind, English rendering, unit) of one atom."""
    value, unit = atom.value, atom.unit
    if atom.pair:
        a, b = atom.pair
        return "range", f"{ONES[a]} or {ONES[b]}", ""
    if atom.ordinal:
        after = unit[9:] if unit.startswith("duration:") else ""
        return "ordinal", f"{ordinal(value)} {after}".strip(), ""
    if unit == "percent":
        return "percent", f"{plain(value)}%", ""
    if unit == "tenths":
        return "percent", f"{plain(value * 10)}%", ""
    if unit == "point":
        return "percent", f"{plain(value)} percentage point{'' if value == 1 else 's'}", "point"
    if unit.startswith("money:"):
        return "money", money(value, unit[6:]), unit[6:]
    if unit.startswith("duration:"):
        return "duration", duration(value, unit[9:]), unit[9:]
    if unit == "year":
        return "date", str(int(value)), ""
    if unit == "month":
        return "date", MONTHS[int(value) - 1], ""
    if unit == "day":
        return "date", date_english(None, None, int(value)), ""
    if unit == "decade":
        two = int(value) % 100
        return "date", f"the {1900 + two if two >= 30 else 2000 + two}s", "decade"
    if unit in ("century", "anniversary"):
        return "ordinal", f"{ordinal(value)} {unit}", ""
    if unit == "times":
        return "times", f"{count(value)} times", ""
    if atom.scaled or value != value.to_integral_value():
        return "decimal", amount(value), ""
    return "cardinal", count(value), ""


def _number(text: str, atom: _Atom) -> Number:
    kind, english, unit = _describe(atom)
    value = atom.value * 10 if atom.unit == "tenths" else atom.value
    date = (None, None, None)
    if atom.unit == "year":
        date = (int(value), None, None)
    elif atom.unit == "month":
        date = (None, int(value), None)
    elif atom.unit == "day":
        date = (None, None, int(value))
    high = Decimal(atom.pair[1]) if atom.pair else None
    return Number(text[atom.start:atom.end], atom.start, atom.end, kind, value, english, unit, high, date,
                  "cardinal" if atom.pair else "")


def _big_factor(text: str, atom: _Atom) -> Decimal:
    factor = Decimal(1)
    for ch in text[atom.start:atom.end]:
        factor *= BIG.get(ch, 1)
    return factor


def _merge(text: str, atoms: list[_Atom]) -> list[Number]:
    """Dates (2023年3月8日) and ranges (3-5年, 1—9月, 5000万至1亿元) from adjacent atoms."""
    order = ("year", "month", "day")
    numbers: list[Number] = []
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        if atom.unit in ("year", "month") and not atom.ordinal:
            parts = [atom]
            j = i + 1
            while j < len(atoms) and atoms[j].start == parts[-1].end and not atoms[j].ordinal:
                unit = "day" if atoms[j].unit == "day-number" else atoms[j].unit
                if unit not in order or order.index(unit) != order.index(parts[-1].unit) + 1:
                    break
                atoms[j].unit = unit
                parts.append(atoms[j])
                j += 1
            if len(parts) > 1:
                found = {p.unit: int(p.value) for p in parts}
                y, mo, d = found.get("year"), found.get("month"), found.get("day")
                numbers.append(Number(text[parts[0].start:parts[-1].end], parts[0].start, parts[-1].end, "date",
                                      None, date_english(y, mo, d), date=(y, mo, d)))
                i = j
                continue
        if i + 1 < len(atoms) and not atom.ordinal and not atom.pair:
            nxt = atoms[i + 1]
            if RANGE_LINK.fullmatch(text, atom.end, nxt.start) and not nxt.ordinal and not nxt.pair \
                    and (not atom.unit or atom.unit == nxt.unit):
                numbers.append(_range(text, atom, nxt))
                i += 2
                continue
        numbers.append(_number(text, atom))
        i += 1
    return numbers


def _range(text: str, atom: _Atom, nxt: _Atom) -> Number:
    low = _Atom(atom.start, atom.end, atom.value, unit=nxt.unit, scaled=atom.scaled)
    factor = _big_factor(text, nxt)
    if not atom.scaled and nxt.scaled and factor > 1 and atom.value * factor <= nxt.value:
        low.value, low.scaled = atom.value * factor, True          # 3-5万 = 30,000 to 50,000
    lo, hi = _number(text, low), _number(text, nxt)
    unit = hi.unit
    if nxt.unit == "month":
        english, inner = f"{MONTHS[int(lo.value) - 1]} to {MONTHS[int(hi.value) - 1]}", "month"
    elif nxt.unit == "year":
        english, inner = f"{lo.english} to {hi.english}", "year"
    elif (not unit and hi.kind == "cardinal" and lo.value == int(lo.value) and hi.value == int(hi.value)
          and 1900 <= lo.value < hi.value <= 2100):
        english, inner = f"{int(lo.value)}-{int(hi.value)}", "year"  # 2021-2022赛季: a span of years, not 2,021
    elif hi.kind in ("duration", "money") or unit == "point":
        bare = count(lo.value) if hi.kind == "duration" else plain(lo.value) if unit == "point" else amount(lo.value)
        english, inner = f"{bare} to {hi.english}", hi.kind
    else:
        english, inner = f"{lo.english} to {hi.english}", hi.kind
    return Number(text[atom.start:nxt.end], atom.start, nxt.end, "range", lo.value, english, unit, hi.value,
                  inner=inner)


def _numeral(text: str) -> Decimal | None:
    if re.fullmatch(ARABIC, text):
        return _decimal(text)
    if "点" in text:
        whole, _, fraction = text.partition("点")
        w = chinese_value(whole)
        if w is None or not fraction or any(c not in DIGITS for c in fraction):
            return None
        return Decimal(f"{w}.{''.join(str(DIGITS[c]) for c in fraction)}")
    value = chinese_value(text)
    return None if value is None else Decimal(value)


DENOMINATOR_WORDS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _fraction(m: re.Match) -> Number | None:
    denominator, numerator = m.group(1), m.group(2)
    num = _numeral(numerator)
    if num is None:
        return None
    if denominator in ("百", "一百", "100"):           # 百分之三十五 = 35%
        return Number(m.group(0), m.start(), m.end(), "percent", num, f"{plain(num)}%")
    if denominator in ("千", "一千", "1000"):           # 千分之五 = 0.5%
        return Number(m.group(0), m.start(), m.end(), "percent", num / 10, f"{plain(num / 10)}%")
    den = _numeral(denominator)
    if den is None or den < 2 or num != num.to_integral_value() or den != den.to_integral_value():
        return None
    n, d = int(num), int(den)
    singular, plural_ = DENOMINATOR_WORDS.get(d, (ordinal(den), ordinal(den) + "s"))
    english = f"{count(num)} {singular if n == 1 else plural_}"
    return Number(m.group(0), m.start(), m.end(), "fraction", num, english, high=den)


def _mark(taken: bytearray, start: int, end: int) -> None:
    taken[start:end] = b"\x01" * (end - start)


def source_numbers(text: str) -> list[Number]:
    """Every number of a Chinese segment, in order (identifiers aside: see source_identifiers)."""
    text = text.translate(FULLWIDTH)
    taken = bytearray(len(text) + 1)
    numbers: list[Number] = []
    for m in ADDRESS.finditer(text):
        _mark(taken, m.start(), m.end())
    for m in ALNUM_ID.finditer(text):
        if taken[m.start()]:
            continue
        unit = UNIT_SUFFIX.fullmatch(m.group(0))
        if unit:    # 500kV, 10km: a measurement, not an identifier
            value = Decimal(unit.group(1))
            numbers.append(Number(m.group(0), m.start(), m.end(), "cardinal", value, f"{plain(value)} {unit.group(2)}"))
        _mark(taken, m.start(), m.end())
    for m in _IDIOM.finditer(text):
        _mark(taken, m.start(), m.end())
    for m in PLAN.finditer(text):
        if not taken[m.start()]:
            n = Decimal(10 + DIGITS[m.group(1)])
            numbers.append(Number(m.group(0), m.start(), m.end(), "plan", n, f"{ordinal(n)} Five-Year Plan"))
            _mark(taken, m.start(), m.end())
    for m in DOT_DATE.finditer(text):
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31 and not taken[m.start()]:
            numbers.append(Number(m.group(0), m.start(), m.end(), "date", None, date_english(None, month, day),
                                  date=(None, month, day)))
            _mark(taken, m.start(), m.end())
    for m in FRACTION.finditer(text):
        if not taken[m.start()] and (number := _fraction(m)) is not None:
            numbers.append(number)
            _mark(taken, m.start(), m.end())
    numbers += _merge(text, _atoms(text, taken))
    return sorted(numbers, key=lambda n: n.start)


def source_identifiers(text: str) -> list[str]:
    """Model numbers and similar (02A01, 06A, C919) that must appear verbatim."""
    text = text.translate(FULLWIDTH)
    addresses = [m.span() for m in ADDRESS.finditer(text)] if ("@" in text or "/" in text or "www" in text) else []
    return [m.group(0) for m in ALNUM_ID.finditer(text)
            if not UNIT_SUFFIX.fullmatch(m.group(0)) and not any(a <= m.start() < b for a, b in addresses)]


# --- reading the English -----------------------------------------------------------------

WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
LOOSE = {  # words that carry a number without being numerals
    "single": 1, "once": 1, "double": 2, "doubled": 2, "doubling": 2, "twin": 2, "dual": 2, "both": 2,
    "pair": 2, "twice": 2, "triple": 3, "tripled": 3, "treble": 3, "trebled": 3, "threefold": 3,
    "quadruple": 4, "quadrupled": 4, "fourfold": 4, "fivefold": 5, "sixfold": 6, "tenfold": 10,
    "dozen": 12, "dozens": 12,
}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000,
}
MAGNITUDE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
SCALE_WORDS = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000,
               "mn": 1_000_000, "bn": 1_000_000_000, "tn": 1_000_000_000_000}
MONTH_NAMES = {name: i + 1 for i, name in enumerate(MONTHS)}
MONTH_NAMES.update({"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Sept": 9,
                    "Oct": 10, "Nov": 11, "Dec": 12})

EN_DIGITS = re.compile(
    r"(?<![a-z0-9.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?(st|nd|rd|th)?"
    r"(?:\s?-?\s?((?i:thousand|million|billion|trillion|bn|mn|tn))\b)?"
)
WORD_GAP = re.compile(r"[ \t\u00a0-]+")
EN_LINK = re.compile(r"\s*(?:-|–|—|to|and|or|through)\s*", re.IGNORECASE)
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
PERCENT_AFTER = re.compile(r"\s?(?:%|percent\b|per\s+cent\b|pct\b)", re.IGNORECASE)
POINT_AFTER = re.compile(r"[\s-]?(?:percentage[\s-]points?\b|points?\b|pp\b)", re.IGNORECASE)
CURRENCY_BEFORE = {
    "CNY": r"RMB|CNY|¥|￥", "USD": r"US\$|(?<![A-Z])\$|USD", "EUR": r"€|EUR", "GBP": r"£|GBP", "JPY": r"¥|￥|JPY",
    "HKD": r"HK\$|HKD", "KRW": r"₩|KRW", "RUB": r"₽|RUB", "AUD": r"A\$|AU\$|AUD", "CAD": r"C\$|CA\$|CAD",
}
CURRENCY_BEFORE_RE = {code: re.compile(rf"(?:{p})\s?$") for code, p in CURRENCY_BEFORE.items()}
CURRENCY_AFTER = {
    "CNY": r"yuan|renminbi|RMB|CNY", "USD": r"(?:US\s)?dollars?|USD", "EUR": r"euros?|EUR",
    "GBP": r"pounds?(?:\ssterling)?|GBP", "JPY": r"yen|JPY", "HKD": r"Hong\sKong\sdollars?|HKD", "KRW": r"won|KRW",
    "RUB": r"roubles?|rubles?|RUB", "AUD": r"Australian\sdollars?|AUD", "CAD": r"Canadian\sdollars?|CAD",
}
CURRENCY_AFTER_RE = {code: re.compile(rf"\s?(?:in\s)?(?:{w})\b", re.IGNORECASE) for code, w in CURRENCY_AFTER.items()}
UNIT_WORDS = {
    "year": r"years?|yrs?", "month": r"months?", "day": r"days?", "week": r"weeks?", "hour": r"hours?|hrs?",
    "minute": r"minutes?|mins?", "second": r"seconds?|secs?",
}
# the unit within two words after the number: "15 months", "nine-year", "9 straight years"
UNIT_AFTER = {unit: re.compile(rf"(?:[\s-]+[A-Za-z’']+){{0,2}}?[\s-]+(?:{w})\b", re.IGNORECASE)
              for unit, w in UNIT_WORDS.items()}
FIRST_MONTHS = re.compile(r"\bfirst\s+(\w+)[\s-]+(months|quarters)\b|\bfirst\s+(half|quarter)\b", re.IGNORECASE)


class EnglishNumbers:
    """The numbers an English text holds, with where they stand. Digits are read at once; number
    words and month names only when a digit reading does not settle a question (most news copy
    writes its numbers in digits)."""

    def __init__(self, text: str):
        self.text = text
        self._digits: list[tuple[Decimal, int, int, int | None, int]] = []   # value, start, end, scale, end with scale
        for m in EN_DIGITS.finditer(text):
            value = Decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
            scale = SCALE_WORDS[m.group(4).lower()] if m.group(4) else None
            self._digits.append((value, m.start(), m.start() + len(m.group(1)) + len(m.group(2) or ""), scale, m.end()))
        self._words: list[tuple[str, int, int]] | None = None
        self.by_value = self._index(self._digits)

    def _index(self, raw: list) -> dict[Decimal, list[tuple[int, int, int, int]]]:
        """value → (start, end, chain start, chain end) of each number. Numbers joined by -, to,
        and, or form a chain ("50-100 million yuan") whose multiplier and surroundings (a currency,
        %) belong to each of them."""
        text = self.text
        chains: list[list] = []
        for item in raw:
            if chains and item[1] >= chains[-1][-1][4] and EN_LINK.fullmatch(text, chains[-1][-1][4], item[1]):
                chains[-1].append(item)
            else:
                chains.append([item])
        by_value: dict[Decimal, list[tuple[int, int, int, int]]] = {}
        for chain in chains:
            c_start, c_end = chain[0][1], chain[-1][4]
            last_value, last_scale = chain[-1][0], chain[-1][3]
            for value, start, end, scale, full_end in chain:
                by_value.setdefault(value, []).append((start, end, c_start, c_end))
                if scale:
                    by_value.setdefault(value * scale, []).append((start, full_end, c_start, c_end))
                elif last_scale and value <= last_value:      # "50-100 million": 50 million too
                    by_value.setdefault(value * last_scale, []).append((start, full_end, c_start, c_end))
        return by_value

    def _read_words(self) -> bool:
        """Add the spelled-out numbers; False when they were already read."""
        if self._words is not None:
            return False
        self._words = [(m.group(0), m.start(), m.end()) for m in EN_WORD.finditer(self.text)]
        raw = sorted(self._digits + _word_numbers(self.text, self._words), key=lambda r: r[1])
        self.by_value = self._index(raw)
        return True

    def _any(self, value: Decimal, test) -> bool:
        if any(test(t) for t in self.by_value.get(value, ())):
            return True
        return self._read_words() and any(test(t) for t in self.by_value.get(value, ()))

    @property
    def values(self) -> set[Decimal]:
        self._read_words()
        return set(self.by_value)

    def has(self, value: Decimal) -> bool:
        return self._any(value, lambda t: True)

    def _followed(self, value: Decimal, pattern: re.Pattern) -> bool:
        return self._any(value, lambda t: pattern.match(self.text, t[1]) or pattern.match(self.text, t[3]))

    def has_percent(self, value: Decimal, point: bool = False) -> bool:
        return self._followed(value, POINT_AFTER if point else PERCENT_AFTER)

    def has_money(self, value: Decimal, code: str) -> bool:
        before = CURRENCY_BEFORE_RE[code]
        if self._any(value, lambda t: before.search(self.text, max(0, t[2] - 8), t[2])):
            return True
        return self._followed(value, CURRENCY_AFTER_RE[code])

    def has_duration(self, value: Decimal, unit: str) -> bool:
        if self._followed(value, UNIT_AFTER[unit]):
            return True
        if unit == "year" and value % 10 == 0:
            tens = value / 10
            names = "|".join([str(int(tens))] + [w for w, v in WORDS.items() if v == tens])
            pattern = rf"\b(?:{names})[\s-]+decades?\b" + (r"|\b(?:a|one)\s+decade\b" if value == 10 else "")
            if value == 100:
                pattern += r"|\bcentur(?:y|ies)\b|\bcentenary\b|\bcentennial\b"
            return re.search(pattern, self.text, re.IGNORECASE) is not None
        return False

    def has_month(self, month: int) -> bool:
        self._read_words()
        if month in {MONTH_NAMES[w] for w, _, _ in self._words if w in MONTH_NAMES}:
            return True
        return any(int(m.group(2)) == month for m in ISO_DATE.finditer(self.text))

    def has_first_months(self, months: int) -> bool:
        """The first nine months, the first three quarters, the first half (1—9月, 1—6月)."""
        for m in FIRST_MONTHS.finditer(self.text):
            if m.group(3):
                if (m.group(3).lower(), months) in (("half", 6), ("quarter", 3)):
                    return True
                continue
            word = m.group(1).lower()
            n = int(word) if word.isdigit() else WORDS.get(word)
            if n is not None and (n if m.group(2).lower() == "months" else n * 3) == months:
                return True
        return False

    def has_decade(self, year: int) -> bool:
        two = year % 100
        names = {30: "thirties", 40: "forties", 50: "fifties", 60: "sixties", 70: "seventies", 80: "eighties",
                 90: "nineties"}
        pattern = rf"(?:\b(?:19|20){two:02d}|['’]{two:02d}|\b{two:02d})s\b"
        if two in names:
            pattern += rf"|\b{names[two]}\b"
        return re.search(pattern, self.text, re.IGNORECASE) is not None


EN_WORD = re.compile(r"[A-Za-z]+")
NUMBER_VOCABULARY = frozenset([*WORDS, *LOOSE, *ORDINALS, *MAGNITUDE, "hundred", "a", "an"])


def _word_numbers(text: str, tokens: list[tuple[str, int, int]]) -> list[tuple[Decimal, int, int, None, int]]:
    """Spelled-out numbers: thirty-five thousand, a hundred, one hundred and five, twenty-first.
    Only the number words of the text are kept, then grouped."""
    found = []
    vocabulary = NUMBER_VOCABULARY
    words = [(w, start, end) for word, start, end in tokens if (w := word.lower()) in vocabulary]
    i = 0
    while i < len(words):
        word, start, end = words[i]
        if word in LOOSE:
            found.append((Decimal(LOOSE[word]), start, end, None, end))
            i += 1
            continue
        total = current = 0
        numeric = False
        j, last_end = i, start
        while j < len(words):
            w, s, e = words[j]
            if j > i:
                gap = text[last_end:s]
                joined = WORD_GAP.fullmatch(gap) is not None
                # "one hundred and five": and after hundred/thousand, before a small number
                if not joined and not (re.fullmatch(r"\s+and\s+", gap) and current % 100 == 0 and (current or total)
                                       and w in WORDS):
                    break
            if w in ("a", "an"):
                if j > i or not (j + 1 < len(words) and words[j + 1][0] in ("hundred", *MAGNITUDE)):
                    break
                current = 1
            elif w in WORDS:
                small = WORDS[w]
                if not (current % 100 == 0 or (current % 100 >= 20 and current % 10 == 0 and small < 10)):
                    break
                current += small
                numeric = True
            elif w == "hundred":
                if current % 100 and current >= 100:
                    break
                current = (current or 1) * 100
                numeric = True
            elif w in MAGNITUDE:
                total += (current or 1) * MAGNITUDE[w]
                current = 0
                numeric = True
            elif w in ORDINALS:
                value = ORDINALS[w]
                current = (current or 1) * value if value >= 100 else current + value
                numeric = True
                last_end = e
                j += 1
                break
            else:   # a loose word (twice, dozen) ends the group
                break
            last_end = e
            j += 1
        if not numeric:
            i = max(j, i + 1)
            continue
        found.append((Decimal(total + current), start, last_end, None, last_end))
        if total and words[i][0] in WORDS:      # "two million" also holds the 2
            found.append((Decimal(WORDS[words[i][0]]), start, words[i][2], None, words[i][2]))
        i = j
    return found


def target_values(text: str) -> set[Decimal]:
    """Every value an English text holds, in any form."""
    return set(EnglishNumbers(text).values)


# --- the check ---------------------------------------------------------------------------

def _accepts(en: EnglishNumbers, n: Number, translation: str) -> bool:
    kind, value = n.kind, n.value
    if kind == "percent":
        return en.has_percent(value, n.unit == "point")
    if kind == "money":
        return en.has_money(value, n.unit)
    if kind == "duration":
        return en.has_duration(value, n.unit)
    if kind == "plan":
        return en.has(value) and en.has(Decimal(5))
    if kind == "fraction":
        return _accepts_fraction(en, n, translation)
    if kind == "date":
        if "·" in n.written and n.written in translation:     # 3·15 kept as the event's name
            return True
        if n.unit == "decade":
            return en.has_decade(int(value))
        year, month, day = n.date
        return ((year is None or en.has(Decimal(year))) and (month is None or en.has_month(month))
                and (day is None or en.has(Decimal(day))))
    if kind == "range":
        return _accepts_range(en, n)
    return en.has(value)


def _accepts_fraction(en: EnglishNumbers, n: Number, translation: str) -> bool:
    num, den = n.value, n.high
    if re.search(rf"(?<![\d.]){num}\s?/\s?{den}(?!\d)", translation):
        return True
    share = num * 100 / den
    if en.has_percent(share.quantize(Decimal(1))) or en.has_percent(share.quantize(Decimal("0.1")).normalize()):
        return True
    words = DENOMINATOR_WORDS.get(int(den), (ordinal(den),)) + (("fourth",) if den == 4 else ())
    if not re.search(rf"\b(?:{'|'.join(words)})", translation, re.IGNORECASE):
        return False
    return num == 1 or en.has(num)


def _accepts_range(en: EnglishNumbers, n: Number) -> bool:
    inner, low, high = n.inner, n.value, n.high
    if inner == "month":
        return (en.has_month(int(low)) and en.has_month(int(high))) or (low == 1 and en.has_first_months(int(high)))
    if inner == "percent":
        point = n.unit == "point"
        return en.has_percent(high, point) and (en.has_percent(low, point) or en.has(low))
    if inner == "money":
        return en.has_money(high, n.unit) and en.has(low)
    if inner == "duration":
        return en.has_duration(high, n.unit) and en.has(low)
    return en.has(low) and en.has(high)


def number_problems(source: str, translation: str) -> list[NumberProblem]:
    """The numbers of `source` that `translation` does not carry, each with the English expected."""
    numbers = source_numbers(source)
    identifiers = source_identifiers(source)
    if not numbers and not identifiers:
        return []
    en = EnglishNumbers(translation)
    problems = [NumberProblem(n.written, n.english, n.kind) for n in numbers if not _accepts(en, n, translation)]
    problems += [NumberProblem(i, i, "identifier") for i in identifiers if i not in translation]
    unique: dict[str, NumberProblem] = {}
    for problem in problems:
        unique.setdefault(problem.written, problem)
    return list(unique.values())


def missing_numbers(source: str, translation: str) -> list[str]:
    """The source numbers (as written) that the translation does not carry."""
    return [p.written for p in number_problems(source, translation)]
