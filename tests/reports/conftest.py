from tests.escalation.conftest import parties  # noqa: F401
