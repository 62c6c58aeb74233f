"""The `consistency` check: a term outside the glossary rendered two ways in reviewed entries.

Terms are what the reviewed entries themselves show to be units, with no tagger and no
dictionary, so that `--check` stays light: recurring maximal n-grams of three or more Chinese
characters (two-character strings are mostly ordinary words) and quoted spans, each seen in two
or more entries. Glossary terms are left to the `glossary` check, which already holds them to
their glossary forms.

A term is only held to a rendering that the entries establish with good evidence, and only where
it stands on its own:

* an occurrence inside a longer term (a glossary term, a quoted unit, or a recurring one at least
  three characters longer: 长春市 in 长春市工信局, 动车组 in 复兴号亚智能动车组; a recurring
  string only one or two characters longer is mostly the term with a function word or a verb,
  由中车长客) is that term's business, not this one's;
* the rendering is an English n-gram standing on its own in at least two of the term's entries,
  held (on its own or inside a longer name) by more than half of them, and rare elsewhere (in fewer than half as many entries without the term), so
  that it is the term's and not the sentence's;
* it holds the n-gram that most of the term's entries share: Xingchen Heavy Industry holds
  heavy, while a word that merely recurs in some of the sentences ('plan',
  'three' in two of 合肥市's entries, where 'Hefei' is in all) does not;
* it is not only ever a piece of a longer capitalised name (Hefei Municipal in Hefei Municipal
  Development and Reform Commission: a rendering of that name, not of 合肥市);
* another term held by every entry that holds the rendering may own it instead; of the two, the
  longer (more specific) term keeps it ('bureau' belongs to 长春市工信局, not to 长春市);
* comparison ignores case (a capital at the start of a sentence) and a plural -s (EMU, EMUs).

Of the established renderings, the longest is the term's (Xingchen Heavy Industry, not Heavy).
An entry holding the term without it is reported, unless its translator comment says
`l10n: allow consistency`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from .terms import MAX_EN_TOKENS, Aligner, Pair, _contains, _content, quoted_spans, recurring_ngrams

CHECK_ID = "consistency"
MIN_TERM_CHARS = 3


@dataclass
class Inconsistency:
    zh: str
    rendering: str  # what the other entries say
    here: Pair  # an entry that does not say it
    there: list[Pair]  # the entries that do


def inconsistencies(pairs: Sequence[Pair], glossary_terms: Sequence[str] = (),
                    allowed: Callable[[Pair], bool] = lambda p: False) -> Iterator[Inconsistency]:
    """The entries whose term lacks the rendering the other entries establish (see the module
    docstring)."""
    msgids = [p.msgid for p in pairs]
    terms = {g for g in recurring_ngrams(msgids) if len(g) >= MIN_TERM_CHARS}
    quoted = Counter(span for m in msgids for span in set(quoted_spans(m)))
    terms |= {q for q, n in quoted.items() if n >= 2}
    glossary = set(glossary_terms)
    terms -= glossary
    units = sorted(glossary | terms, key=len, reverse=True)
    marked = glossary | {q for q, n in quoted.items() if n >= 2}
    aligner = Aligner(pairs)
    renderings = _Renderings(aligner)
    for zh in sorted(terms):
        # A recurring string that adds one or two characters to the term is more often the term
        # with a function word or a verb (由中车长客, 推动中车长客) than a longer term.
        containers = [u for u in units if zh in u and (len(u) >= len(zh) + MIN_TERM_CHARS or (u in marked and u != zh))]
        anywhere = aligner.entries_with(zh)
        entries = [i for i in anywhere if _outside(msgids[i], zh, containers)]
        if len(entries) < 2:
            continue
        free: dict[tuple[str, ...], set[int]] = defaultdict(set)  # entries where the n-gram stands alone
        for i in entries:
            for key in renderings.free(i):
                free[key].add(i)

        def elsewhere(key: tuple[str, ...]) -> int:
            """Entries that hold the n-gram but not the term (not even inside a longer one)."""
            return aligner._entry_count(key) - sum(1 for i in anywhere if key in renderings.all(i))

        if not free:
            continue
        specific = [k for k, held in free.items() if len(held) >= 2 and 2 * elsewhere(k) < len(held)]
        if not specific:
            continue
        # The n-gram in most of the term's entries (on its own or not) anchors its rendering: an
        # established rendering holds it (Xingchen Heavy Industry holds heavy), and a word that
        # merely recurs in some of the sentences (plan, three) does not.
        present = Counter(k for i in entries for k in renderings.all(i))
        most = max(present.values())
        anchor = max((k for k, n in present.items() if n == most), key=lambda k: (-aligner._entry_count(k), -len(k), k))
        # Where the rendering stands inside a longer name it is still there.
        established = [k for k in specific
                       if 2 * sum(1 for i in entries if k in renderings.all(i)) > len(entries) and _contains(k, anchor)]
        # A rendering whose every entry also holds another term may be that term's; the longer
        # term is the more specific owner.
        others = [u for u in units if u != zh and u not in zh]
        established = [k for k in established
                       if not any(all(u in msgids[i] for i in renderings.holding(k)) for u in others)]
        if not established:
            continue
        key = max(established, key=lambda k: (len(k), len(free[k]), k))
        held = {i for i in entries if key in renderings.all(i)}
        if len(held) == len(entries):
            continue
        there = [pairs[i] for i in sorted(held)]
        rendering = renderings.surface(key, held)
        for i in entries:
            if i not in held and not allowed(pairs[i]):
                yield Inconsistency(zh, rendering, pairs[i], there)


class _Renderings:
    """The English n-grams of each entry, with where each stands on its own."""

    def __init__(self, aligner: Aligner):
        self.aligner = aligner
        self._free: dict[int, set[tuple[str, ...]]] = {}
        self._surfaces: dict[int, dict[tuple[str, ...], str]] = {}
        self._holding: dict[tuple[str, ...], list[int]] = {}

    def free(self, i: int) -> set[tuple[str, ...]]:
        """N-grams of entry i (opening and closing on a content word) that are not only part of
        a longer capitalised name there."""
        if i not in self._free:
            found, surfaces = set(), {}
            text = self.aligner.pairs[i].msgstr
            for run, keys in zip(self.aligner._runs[i], self.aligner._keys[i]):
                for s in range(len(run)):
                    if not _content(run[s]):
                        continue
                    for e in range(s + 1, min(len(run), s + MAX_EN_TOKENS) + 1):
                        if not _content(run[e - 1]):
                            continue
                        key = tuple(keys[s:e])
                        surfaces.setdefault(key, text[run[s].start:run[e - 1].end])
                        if not _inside_name(run, s, e):
                            found.add(key)
            self._free[i], self._surfaces[i] = found, surfaces
        return self._free[i]

    def all(self, i: int) -> dict[tuple[str, ...], str]:
        """All n-grams of entry i, inside names or not (with their spelling)."""
        self.free(i)
        return self._surfaces[i]

    def holding(self, key: tuple[str, ...]) -> list[int]:
        if key not in self._holding:
            self._holding[key] = [i for i in range(len(self.aligner.pairs)) if key in self.all(i)]
        return self._holding[key]

    def surface(self, key: tuple[str, ...], entries: set[int]) -> str:
        """The spelling most entries use, a sentence-initial capital not counting against."""
        counts = Counter(self._surfaces[i][key] for i in entries if key in self._surfaces.get(i, {}))
        return Aligner._surface(counts) if counts else " ".join(key)


def _inside_name(run, s: int, e: int) -> bool:
    """Whether tokens s..e of a run are all capitalised and a capitalised word goes on right
    next to them: a piece of a longer name."""
    def capital(k: int) -> bool:
        return 0 <= k < len(run) and run[k].text[:1].isupper() and _content(run[k])

    return all(capital(k) or not _content(run[k]) for k in range(s, e)) and (capital(s - 1) or capital(e))


def _outside(text: str, zh: str, containers: Sequence[str]) -> bool:
    """Whether `zh` occurs in `text` other than as part of one of the longer terms."""
    for term in containers:
        text = text.replace(term, "\x00")
    return zh in text
