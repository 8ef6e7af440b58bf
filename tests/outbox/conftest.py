from tests.escalation.conftest import assigned, fault_app, parties, private_redis  # noqa: F401
from tests.system.test_cli_and_worker import cli_env  # noqa: F401
