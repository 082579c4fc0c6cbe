"""The knowledge editor: the article list with filters, the edit page (preview, revisions, diff,
submit, approve/reject, scheduling) and notices. Data and steps go through web/editor/ops.py."""

from __future__ import annotations

from flask import Blueprint, render_template

from web.editor.ops import kb_article
from web.permissions import requires

bp = Blueprint("editor", __name__, url_prefix="/editor")


@bp.route("/")
@requires("editor", "reviewer")
def index():  # type: ignore[no-untyped-def]
    """Articles and notices."""
    return render_template("editor/index.html")


@bp.route("/new")
@requires("editor")
def new():  # type: ignore[no-untyped-def]
    """A new article."""
    return render_template("editor/article.html", a=None, rev={}, article_id="")


@bp.route("/articles/<article_id>")
@requires("editor", "reviewer")
def article(article_id: str):  # type: ignore[no-untyped-def]
    """Edit or review one article."""
    data = kb_article(article_id)
    return render_template("editor/article.html", a=data, rev=data.get("latest") or {}, article_id=article_id)
