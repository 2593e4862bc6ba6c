"""Real images built FROM scratch with busybox on the sandbox daemon.

Every image carries ``dockscope.test=layers-<session>`` and is removed at the
end of the session. Nothing is pulled: the only base is ``scratch``.
"""

from __future__ import annotations

import io
import os
import tarfile
import uuid
from dataclasses import dataclass

import docker
import pytest

BUSYBOX = "/bin/busybox"
SESSION = uuid.uuid4().hex[:10]
LABEL_KEY = "dockscope.test"
LABEL_VALUE = f"layers-{SESSION}"
REPO = "dockscope-test-layers"

BASE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
"""

# Layer 2 writes 104,060 bytes; layer 3 overwrites /data/over (3,000 -> 5,000),
# deletes /data/big (100,000), and replaces /d by an opaque directory (hiding
# /d/a 700 and /d/sub/b 300). Wasted: 100,000 + 3,000 + 700 + 300 = 104,000.
V1 = """\
FROM {base}
RUN mkdir -p /data/keep /d/sub /links && head -c 100000 /dev/zero > /data/big \
 && head -c 3000 /dev/zero > /data/over && head -c 700 /dev/zero > /d/a \
 && head -c 300 /dev/zero > /d/sub/b && head -c 50 /dev/zero > /data/keep/k \
 && head -c 10 /dev/zero > /links/x && ln /links/x /links/y
ENV STAGE=one
RUN head -c 5000 /dev/zero > /data/over && rm /data/big && rm -rf /d && mkdir /d \
 && head -c 40 /dev/zero > /d/c
CMD ["/bin/sh"]
"""

# Final files differ from V1: /data/new added (20,000), /data/over 3,000
# (shrunk by 2,000), /data/keep/k 80 (grown by 30), /d/c and /links/* gone.
V2 = """\
FROM {base}
RUN mkdir -p /data/keep && head -c 3000 /dev/zero > /data/over \
 && head -c 80 /dev/zero > /data/keep/k && head -c 20000 /dev/zero > /data/new
"""

# Names and a build step carrying escape sequences.
HOSTILE = """\
FROM {base}
RUN head -c 64 /dev/zero > "$(printf '/w\\033[2Jx')" && echo '\x1b]0;pwned\x07' > /t
RUN rm /w*
"""


@dataclass(frozen=True)
class TestImages:
    """Tags of the images built for this session."""

    base: str
    v1: str
    v2: str


def make_client() -> docker.APIClient:
    return docker.APIClient(base_url=os.environ["DOCKER_HOST"], version="auto", timeout=120)


def _context(dockerfile: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(BUSYBOX, arcname="busybox")
    buffer.seek(0)
    return buffer


def build(client: docker.APIClient, dockerfile: str, tag: str) -> str:
    """Build ``dockerfile`` (the context also holds busybox) and return ``tag``."""
    log = []
    for chunk in client.build(
        fileobj=_context(dockerfile),
        custom_context=True,
        rm=True,
        forcerm=True,
        labels={LABEL_KEY: LABEL_VALUE},
        tag=tag,
        decode=True,
    ):
        if "error" in chunk:
            raise RuntimeError(f"build of {tag} failed: {chunk['error']}\n{''.join(log)}")
        log.append(chunk.get("stream", ""))
    return tag


def _remove_session_images(client: docker.APIClient) -> None:
    """Remove this session's images, children before parents."""
    for _ in range(5):
        images = client.images(filters={"label": f"{LABEL_KEY}={LABEL_VALUE}"})
        if not images:
            return
        for image in sorted(images, key=lambda i: -i["Created"]):
            try:
                client.remove_image(image["Id"], force=True)
            except docker.errors.APIError:
                pass


@pytest.fixture(scope="session")
def layers_client():
    if "DOCKER_HOST" not in os.environ:
        pytest.skip("DOCKER_HOST is not set (the sandbox daemon is needed)")
    api = make_client()
    try:
        api.ping()
    except Exception as error:  # noqa: BLE001 - any failure means no daemon to test against
        pytest.skip(f"sandbox daemon unreachable: {error}")
    yield api
    _remove_session_images(api)
    api.close()


@pytest.fixture(scope="session")
def images(layers_client) -> TestImages:
    base = build(layers_client, BASE, f"{REPO}/base:{SESSION}")
    return TestImages(
        base=base,
        v1=build(layers_client, V1.format(base=base), f"{REPO}/app:{SESSION}-v1"),
        v2=build(layers_client, V2.format(base=base), f"{REPO}/app:{SESSION}-v2"),
    )


@pytest.fixture(scope="session")
def hostile_image(layers_client, images) -> str:
    return build(layers_client, HOSTILE.format(base=images.base), f"{REPO}/hostile:{SESSION}")


@pytest.fixture(scope="session")
def empty_image(layers_client) -> str:
    """An image with no layer at all, only metadata."""
    return build(layers_client, "FROM scratch\nLABEL only=metadata\n", f"{REPO}/empty:{SESSION}")
