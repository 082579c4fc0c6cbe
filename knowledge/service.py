"""`platform.knowledge` (the contract `knowledge.api.KnowledgeApi`): the knowledge home's parts, each
with one job, under one name. This class only composes them and hands each method of the contract to
the part that does it:

- `store` (knowledge/articles.py): the database, index, read cache and query log, and the steps every
  writer shares (change log, publishing a revision, announcing a change);
- `workflow` (knowledge/workflow.py): drafts, review, publishing, archiving, rollback, scheduled revisions;
- `reading` (knowledge/reading.py): the published article (contract) and the editors' pages, revisions,
  history, diffs and list;
- `board` (knowledge/notices.py): notices;
- `flagging` (knowledge/flags.py): agents' flags on answers;
- `searching` (knowledge/searching.py) and `answering` (knowledge/answering.py): search, and the answer
  the IVR reads;
- `learning` (knowledge/feedback.py): feedback on answers and the editors' review queue built from it;
- `query_stats` (knowledge/querystats.py): top and unanswered queries;
- `importer` (knowledge/transfer.py): the trusted load of one article.
"""

from __future__ import annotations

from knowledge.answering import Answering
from knowledge.api import KnowledgeHost
from knowledge.articles import ArticleStore
from knowledge.feedback import Feedback
from knowledge.flags import Flags
from knowledge.notices import Notices
from knowledge.querystats import QueryStats
from knowledge.reading import Reading
from knowledge.searching import Searching
from knowledge.transfer import Importer
from knowledge.workflow import Workflow


class KnowledgeService:
    def __init__(self, platform: KnowledgeHost) -> None:
        self.platform = platform
        self.store = store = ArticleStore(platform)
        self.workflow = workflow = Workflow(store)
        self.board = board = Notices(store)
        self.reading = reading = Reading(store, board)
        self.flagging = flagging = Flags(store)
        self.searching = searching = Searching(store)
        self.answering = answering = Answering(searching, reading, board, store.cache)
        self.learning = learning = Feedback(store, workflow)
        self.query_stats = query_stats = QueryStats(store)
        self.importer = importer = Importer(store)

        self.db = store.db
        self.index = store.index
        self.queries = store.queries
        self.cache = store.cache
        self.close = store.close

        self.create_draft = workflow.create_draft
        self.update_draft = workflow.update_draft
        self.submit = workflow.submit
        self.approve = workflow.approve
        self.reject = workflow.reject
        self.archive = workflow.archive
        self.rollback = workflow.rollback
        self.publish_due = workflow.publish_due

        self.article = reading.article
        self.get = reading.get
        self.revision = reading.revision
        self.revisions = reading.revisions
        self.history = reading.history
        self.diff = reading.diff
        self.list = reading.list

        self.notices = board.notices
        self.list_notices = board.list_notices
        self.create_notice = board.create_notice
        self.update_notice = board.update_notice
        self.approve_notice = board.approve_notice
        self.withdraw_notice = board.withdraw_notice

        self.flag = flagging.flag
        self.flags = flagging.flags
        self.resolve_flag = flagging.resolve_flag

        self.search = searching.search
        self.reindex = searching.reindex
        self.answer = answering.answer

        self.feedback = learning.feedback
        self.suggestions = learning.suggestions
        self.accept_suggestion = learning.accept_suggestion
        self.dismiss_suggestion = learning.dismiss_suggestion

        self.top_queries = query_stats.top_queries
        self.unanswered_queries = query_stats.unanswered_queries

        self.import_article = importer.import_article
