"""Client probes on real conditions: a socket nobody listens on, an older API, a context DOCKER_HOST overrides."""

from __future__ import annotations

import json

import docker

from dockscope.engine.model import Endpoint
from dockscope.engine.session import HostSession
from dockscope.probes import gather_context
from tests.probes.conftest import evidence_text, findings


def _quick(session: HostSession, env: dict[str, str]):
    return gather_context(session, inspect_all=False, analyze_images=False, env=env)


def test_unreachable_endpoint(tmp_path, context):
    url = f"unix://{tmp_path}/nobody.sock"
    session = HostSession(Endpoint(url=url, source="--host"), docker.APIClient(base_url=url, version="1.41", timeout=2))
    hits = findings(_quick(session, {}), "client.unreachable")
    assert len(hits) == 1 and hits[0].severity == "error"
    text = evidence_text(hits[0])
    assert f"endpoint|{url}" in text and "chosen by|--host" in text and "error|" in text
    assert hits[0].confirm == f"docker -H {url} version"
    assert findings(context, "client.unreachable") == ()


def test_older_client_api_version(docker_host, endpoint, context):
    older = HostSession(endpoint, docker.APIClient(base_url=docker_host, version="1.40", timeout=10))
    hits = findings(_quick(older, {}), "client.api_skew")
    assert len(hits) == 1 and hits[0].severity == "info"
    daemon_api = older.client.version(api_version=False)["ApiVersion"]  # 1.41 on 20.10, 1.45 on 26.1
    assert "API version|1.40" in evidence_text(hits[0]) and f"ApiVersion|{daemon_api}" in evidence_text(hits[0])
    pinned = findings(_quick(older, {"DOCKER_API_VERSION": "1.40"}), "client.api_skew")
    assert len(pinned) == 1 and pinned[0].severity == "warning" and pinned[0].fix == "unset DOCKER_API_VERSION"
    assert findings(context, "client.api_skew") == (), "a negotiated version matches the daemon's"


def test_docker_host_overrides_the_current_context(tmp_path, docker_host, make_session):
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "production"}))
    env = {"DOCKER_HOST": docker_host, "DOCKER_CONFIG": str(tmp_path)}
    hits = findings(_quick(make_session(), env), "client.context_override")
    assert len(hits) == 1
    text = evidence_text(hits[0])
    assert f"DOCKER_HOST|{docker_host}" in text and "currentContext in config.json|production" in text
    assert findings(_quick(make_session(), {"DOCKER_HOST": docker_host}), "client.context_override") == ()
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert findings(_quick(make_session(), env), "client.context_override") == ()
