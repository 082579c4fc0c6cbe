"""Which calls are tests: calls placed by the console's test-call page or `hotline call --node`
(ids `test-…`) and by the standalone simulator (ids `sim-…`). They run through the real engine,
switch and ACD, but are counted apart from real calls (statistics scopes prefixed `test:`), never
leave a missed-call callback, and reports leave them out unless asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings

TEST_PREFIXES = ("test-", "sim-")
TEST_SCOPE_PREFIX = "test:"


def is_test_call(call_id: str | None) -> bool:
    return bool(call_id) and str(call_id).startswith(TEST_PREFIXES)


KEY_HEADER = "X-Hotline-Test-Call-Key"


def node_key(settings: Settings) -> str:
    """The node-local key that lets `hotline call --node` place test calls without a login: set
    HOTLINE_TEST_CALL_KEY, or it is generated into `$HOTLINE_DATA_DIR/secrets/test_call_key` (0600),
    so only someone who can read the node's data directory holds it."""
    from pathlib import Path

    from core.settings import _load_or_create_secret

    given = getattr(settings, "test_call_key", "")
    if given:
        return str(given)
    return _load_or_create_secret(Path(settings.data_dir), "test_call_key")


def read_node_key(settings: Any) -> str | None:
    """The node key, HOTLINE_TEST_CALL_KEY or the data directory's if this machine has one (the CLI
    never creates it)."""
    from pathlib import Path

    given = getattr(settings, "test_call_key", "")
    if given:
        return str(given)
    path = Path(str(settings.data_dir)) / "secrets" / "test_call_key"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
