from tests.escalation.conftest import assigned, parties  # noqa: F401
from tests.notifications.test_inbox_and_channels import http_server  # noqa: F401
from tests.reports.conftest import week_of_hazards  # noqa: F401
