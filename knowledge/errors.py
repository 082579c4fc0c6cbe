"""Errors the knowledge service raises; the messages are shown to editors as they are."""

from __future__ import annotations

from core.errors import Refusal


class KnowledgeError(Refusal, ValueError):
    """Bad input or a step the workflow does not allow; nothing was changed."""


class PermissionDenied(KnowledgeError):
    """The user lacks the role for this step (or reviews their own revision)."""

    kind = "forbidden"


class NotFound(KnowledgeError):
    kind = "not_found"


class InvalidState(KnowledgeError):
    """The revision is not in a status that allows this step."""

    kind = "conflict"
