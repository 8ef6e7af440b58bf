"""moto's S3 server in a process of its own on a loopback port: the S3 stand-in speaking the real protocol."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import free_port


@contextmanager
def moto_s3_server(bucket: str) -> Iterator[str]:
    """Start the server, create ``bucket`` and yield the endpoint URL; stop the server afterwards."""
    import boto3
    import botocore.exceptions

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                client.create_bucket(Bucket=bucket)
                break
            except botocore.exceptions.EndpointConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "moto's S3 server did not start"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)
