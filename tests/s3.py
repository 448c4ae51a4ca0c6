"""A real S3 API for storage tests: moto's server mode (ThreadedMotoServer) on a free port, started once per
session, and a fresh bucket per test with both file storages ("default" and "private") pointed at it.

Import the fixtures into a test module: `from tests.s3 import moto_endpoint, s3_bucket  # noqa: F401`.
"""
import socket
import uuid
from dataclasses import dataclass

import boto3
import pytest

from atelier.settings import s3_storage

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer  # test-only package: imported only where a test asks for it

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@dataclass
class Bucket:
    client: object
    name: str

    def keys(self, prefix="") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3_bucket(moto_endpoint, settings):
    """A new, empty bucket; STORAGES as PRIVATE_STORAGE_BACKEND=s3 builds them, pointed at it."""
    name = f"atelier-{uuid.uuid4().hex[:16]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **KEYS)
    client.create_bucket(Bucket=name)
    options = {"bucket_name": name, "endpoint_url": moto_endpoint, "region_name": REGION,
               "access_key": KEYS["aws_access_key_id"], "secret_key": KEYS["aws_secret_access_key"]}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage("storages.backends.s3.S3Storage", "media", **options),
        "private": s3_storage("content_review.storage.PrivateS3Storage", "private", **options),
    }
    return Bucket(client, name)
