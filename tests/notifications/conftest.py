from tests.escalation.conftest import assigned, parties  # noqa: F401
