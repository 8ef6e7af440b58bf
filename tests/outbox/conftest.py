from tests.escalation.conftest import assigned, fault_app, parties, private_redis  # noqa: F401
