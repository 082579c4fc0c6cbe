"""The console fixtures (users of every role, logged-in clients) for the security tests."""

from tests.records.conftest import core_file, demo_hashes  # noqa: F401
from tests.web.conftest import client_for, make_user, switch_ready, web_app  # noqa: F401
