import pytest

from tests.circulars.conftest import week_of_hazards  # noqa: F401
from tests.escalation.conftest import assigned, parties  # noqa: F401
from tests.notifications.test_inbox_and_channels import http_server  # noqa: F401


@pytest.fixture(autouse=True)
def _local_webhook_receivers(app, monkeypatch):
    """These tests' subscribers are local servers (127.0.0.1): allowed here only (tests/security/test_ssrf.py)."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
