"""An S3-protocol server on loopback for tests (moto's standalone server), and the environment
that points the service at a bucket on it."""

from __future__ import annotations

import secrets
from contextlib import contextmanager

import pytest

from tests.processes import free_port


@contextmanager
def s3_server():
    """Yields the endpoint URL of a fresh in-memory S3 server on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_env(endpoint: str, bucket: str | None = None, prefix: str = "wxfund") -> dict[str, str]:
    return {
        "STORAGE_URL": f"s3://{bucket or 'docs-' + secrets.token_hex(4)}/{prefix}",
        "S3_ENDPOINT_URL": endpoint,
        "S3_ADDRESSING_STYLE": "path",
        "AWS_REGION": "cn-south-1",
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    }


@pytest.fixture(scope="module")
def s3_endpoint():
    """A module's S3 server (each test uses buckets of its own)."""
    with s3_server() as endpoint:
        yield endpoint
