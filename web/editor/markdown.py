"""The knowledge editor writes article bodies in Markdown (HTML passes through, so bodies saved as
HTML before still edit as they are); the knowledge home sanitises the HTML with nh3 on save."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table")


def to_html(text: str) -> str:
    return _parser().render(text or "")
