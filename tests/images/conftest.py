"""Known images built FROM scratch with busybox on the sandbox engine under test.

``base`` is busybox; ``a`` adds one 10,000-byte file; ``b`` adds a
20,000-byte file and deletes it in a later layer (a layer of 0 bytes that is
a layer, next to ENV lines of 0 bytes that are not); ``old`` is a tag that was
rebuilt while a container still uses the first build; ``dangling`` is an
unused untagged image. Every object carries the run label and this module's
own label (so pruning in a test touches only these); all are removed at the
end. ``scripts/test`` runs these tests on each engine in turn (one daemon at
a time), so nothing here reaches a second daemon.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from dockscope.demo import BASE_DOCKERFILE, build
from tests.conftest import RUN_ID

OWN_KEY = "dockscope.images-test"
OWN_VALUE = uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class KnownImages:
    """Ids and tags of the images built for this module."""

    repo: str
    base: str
    a: str
    b: str
    old: str
    dangling: str
    user_a: str
    user_old: str
    user_byid: str
    user_renamed: str
    filter: str

    def tag(self, name: str) -> str:
        return f"{self.repo}/{name}:1"


def build_known(client, labels: dict[str, str]) -> KnownImages:
    repo = f"t{RUN_ID}{OWN_VALUE[:4]}-img"
    tag = lambda name: f"{repo}/{name}:1"  # noqa: E731
    base = build(client, tag("base"), BASE_DOCKERFILE, labels, with_busybox=True)
    a = build(client, tag("a"), f"FROM {tag('base')}\nRUN head -c 10000 /dev/zero > /a-{OWN_VALUE}\n", labels)
    b = build(
        client, tag("b"),
        f"FROM {tag('base')}\nENV STEP=one\nRUN head -c 20000 /dev/zero > /b-{OWN_VALUE}\nENV STEP=two\nRUN rm /b-{OWN_VALUE}\n",
        labels,
    )
    old = build(client, tag("old"), f"FROM {tag('base')}\nRUN echo first > /old-{OWN_VALUE}\n", labels)
    dangling = build(client, tag("gone"), f"FROM {tag('base')}\nRUN echo one > /d-{OWN_VALUE}\n", labels)
    build(client, tag("gone"), f"FROM {tag('base')}\nRUN echo two > /d-{OWN_VALUE}\n", labels)
    client.tag(a, f"{repo}/renamed", "1")
    users = {}
    for key, image in (("user_a", tag("a")), ("user_old", tag("old")), ("user_byid", a), ("user_renamed", tag("renamed"))):
        users[key] = client.create_container(
            image, command=["true"], name=f"{repo}-{key.replace('_', '-')}", labels=labels,
            host_config=client.create_host_config(log_config={"type": "json-file", "config": {"max-size": "1m"}}, mem_limit="32m"),
        )["Id"]
    build(client, tag("old"), f"FROM {tag('base')}\nRUN echo second > /old-{OWN_VALUE}\n", labels)
    client.remove_image(tag("renamed"))  # only untags: a keeps its own tag
    return KnownImages(repo, base, a, b, old, dangling, filter=f"{OWN_KEY}={OWN_VALUE}", **users)


@pytest.fixture(scope="session")
def own_labels(labels) -> dict[str, str]:
    return {**labels, OWN_KEY: OWN_VALUE}


@pytest.fixture(scope="session")
def known(client, own_labels) -> KnownImages:
    """The known images on the main sandbox (20.10); removed with the run label."""
    return build_known(client, own_labels)
