"""The knowledge home: articles with immutable revisions, the editorial workflow (draft → in review →
published → archived), provincial scope and effective dates, notices, flags, the query log, and the
Chinese search every channel uses (`platform.knowledge.search`, see docs/contracts.md)."""
