"""The photo tests' people (an inspector in street A and their logged-in session) and an S3 stand-in."""

from __future__ import annotations

import pytest


@pytest.fixture
def inspector(district, make_user):
    return make_user("inspector", region=district.street_a, department=district.fire_dept)


@pytest.fixture
def inspector_client(inspector, login):
    return login(inspector)


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 fake as a real HTTP server: boto3 signs and sends real requests to it."""
    import moto.server as server_module
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
