"""Query understanding for speech: which words of a caller's question carry the need.

A phone question arrives as one run of recognised speech: greetings, fillers, who the caller is and
what happened, and somewhere (often at the end) the actual question. The query is cut into clauses
at punctuation and pauses (spaces from the recogniser); a clause that asks something (a question
word or particle: 怎么, 多少, 能不能, 吗 …) keeps full weight, a clause that only sets the scene keeps
`context_weight` of it. Fillers and greetings are stop words and drop out in segmentation. With no
asking clause at all (a keyword-style query) every clause counts fully.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.analysis import Analyzer, HomophoneTable, QueryTerm, normalize

_CLAUSE = re.compile(r"[^\s,，。.!！?？;；、:：~～…]+[?？]?")
# Words that mark a clause as asking something. General Mandarin question forms, not domain words.
_ASKING = re.compile(
    r"怎么|怎样|如何|多少|多久|多长|几个|几年|几天|几月|几岁|什么|啥|咋|哪|吗|么|呢|能不能|可不可以|可以不|"
    r"是不是|有没有|要不要|会不会|算不算|给不给|行不行|够不够|对不对|能否|是否|还能|能[^力源]|可以|需要|要求|"
    r"谁|为啥|为什么|\?|？")


@dataclass(frozen=True)
class Clause:
    text: str
    asking: bool


def clauses(query: str) -> list[Clause]:
    """The query's clauses, in order, each marked asking or not."""
    return [Clause(p, bool(_ASKING.search(p))) for p in _CLAUSE.findall(normalize(query))]


def understand(query: str, analyzer: Analyzer, homophones: HomophoneTable | None,
               context_weight: float) -> list[QueryTerm]:
    """The weighted terms of a query: each term takes the weight of the strongest clause it appears in
    (times its expansion weight: synonyms and homophone repairs count less than the caller's words)."""
    parts = clauses(query)
    if len(parts) <= 1 or not any(c.asking for c in parts) or context_weight >= 1.0:
        return analyzer.expand(query, homophones)
    return analyzer.expand_parts([c.text for c in parts], [1.0 if c.asking else context_weight for c in parts],
                                 homophones)
