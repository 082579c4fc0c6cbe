"""One answer for a caller: what the IVR reads (and SMS sends) for a spoken question or a menu item.

- A spoken question is searched with the IVR's recognised topic as a prior, and the best hit *within
  that topic* is taken when there is one (看病能报多少 recognised as medical is answered from the
  medical articles even if an unemployment article scores a little higher).
- A menu item names its article; it is read as named.
- Either way, when the caller's province (the routing province) has a variant of the chosen national
  article, the variant is read instead. A variant is an article of that province, in the same
  category, whose title says what the national title says (`VARIANT_TITLE_SHARE` of the character
  bigrams of one title found in the other, the province's own name aside).
- Active notices for the caller's province (and national ones) that concern the answer's topic are
  read first: notices tied to the chosen article, to its national article, or to another article of
  the same category, and notices of the caller's own province tied to no article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge.backend import han_bigrams
from knowledge.content import html_to_text
from knowledge.search import TOPIC_CATEGORIES, Hit

if TYPE_CHECKING:
    from knowledge.notices import Notices
    from knowledge.readcache import ReadCache
    from knowledge.reading import Reading
    from knowledge.searching import Searching

VARIANT_TITLE_SHARE = 0.6
NATIONAL = "00"


@dataclass(frozen=True)
class Notice:
    id: int
    title: str
    text: str


@dataclass(frozen=True)
class Answer:
    article_id: str
    revision_id: int
    title: str
    short_answer: str
    province: str
    category: str
    how: str  # "search", "topic" (best hit of the recognised topic), "menu"; "+variant" when localised
    notices: list[Notice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"article_id": self.article_id, "revision_id": self.revision_id, "title": self.title,
                "short_answer": self.short_answer, "province": self.province, "category": self.category,
                "how": self.how, "notices": [n.__dict__ for n in self.notices]}


def _title_share(national: str, variant: str, place_names: tuple[str, ...]) -> float:
    """How much the two titles say the same (either may be the longer): the larger of the shares of
    each title's character bigrams found in the other, the province's name aside."""
    for name in place_names:
        variant = variant.replace(name, "")
    a, b = set(han_bigrams(national)), set(han_bigrams(variant))
    if not a or not b:
        return 0.0
    common = len(a & b)
    return max(common / len(a), common / len(b))


class Answering:
    def __init__(self, searching: Searching, reading: Reading, notices: Notices, cache: ReadCache) -> None:
        self.searching = searching
        self.reading = reading
        self.notices = notices
        self.cache = cache

    def find_variant(self, article_id: str, title: str, category: str, province: str | None) -> Hit | None:
        """The caller's province's variant of a national article, or None (kept in the read cache)."""
        if not province or province == NATIONAL:
            return None
        return self.cache.variant((article_id, province),
                                  lambda: self._search_variant(article_id, title, category, province))

    def _search_variant(self, article_id: str, title: str, category: str, province: str) -> Hit | None:
        from core.provinces import PROVINCES

        prov = PROVINCES.get(province)
        names = (*(n for n in ((prov.name, prov.short) if prov else ()) if n), "省", "市", "自治区")
        res = self.searching.search(title, province=province, limit=10, channel="ivr", log_query=False)
        best: tuple[float, Hit] | None = None
        for hit in res.hits:
            if hit.province != province or hit.category != category or hit.article_id == article_id:
                continue
            share = _title_share(title, hit.title, names)
            if share >= VARIANT_TITLE_SHARE and (best is None or share > best[0]):
                best = (share, hit)
        return best[1] if best else None

    def topic_notices(self, province: str | None, article_ids: set[str], category: str) -> list[Notice]:
        out: list[Notice] = []
        categories: dict[str, str] = {}
        for n in self.notices.notices(province):
            if n.article_id is None:
                keep = bool(province) and n.province == province
            elif n.article_id in article_ids:
                keep = True
            else:
                if n.article_id not in categories:
                    art = self.reading.article(n.article_id)
                    categories[n.article_id] = art.category if art else ""
                keep = categories[n.article_id] == category
            if keep:
                out.append(Notice(n.id, n.title, html_to_text(n.body_html)))
        return out

    def answer(self, *, query: str = "", article_id: str | None = None, province: str | None = None,
               topic: str | None = None, channel: str = "ivr") -> Answer | None:
        """What the IVR reads for a spoken question (`query`) or a menu item (`article_id`) (and SMS
        sends): `Answer`, or None for none."""
        if province in ("", NATIONAL):
            province = None
        chosen: Any
        if article_id:
            chosen = self.reading.article(article_id)
            if chosen is None:
                return None
            how = "menu"
        else:
            res = self.searching.search(query, province=province, limit=5, channel=channel, topic=topic)
            if res.no_answer or not res.hits:
                return None
            cats = TOPIC_CATEGORIES.get(topic or "", (topic,) if topic else ())
            in_topic = [h for h in res.hits if h.category in cats]
            chosen, how = (in_topic[0], "topic") if in_topic else (res.hits[0], "search")
        ids = {chosen.article_id}
        if chosen.province == NATIONAL:
            variant = self.find_variant(chosen.article_id, chosen.title, chosen.category, province)
            if variant is not None:
                chosen, how = variant, how + "+variant"
                ids.add(variant.article_id)
        return Answer(article_id=chosen.article_id, revision_id=chosen.revision_id, title=chosen.title,
                      short_answer=chosen.short_answer, province=chosen.province, category=chosen.category, how=how,
                      notices=self.topic_notices(province, ids, chosen.category))
