"""Choosing the endpoint like the docker CLI, and saying why."""

from __future__ import annotations

import hashlib
import json

import pytest

from dockscope.engine.endpoint import DEFAULT_SOCKET, EndpointError, registry_logins, resolve_endpoint
from dockscope.textsafe import mask_url_credentials


def make_context(config_dir, name: str, host: str, tls: bool = False) -> None:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    meta.joinpath("meta.json").write_text(
        json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}})
    )
    if tls:
        certs = config_dir / "contexts" / "tls" / digest / "docker"
        certs.mkdir(parents=True)
        for part in ("ca", "cert", "key"):
            certs.joinpath(f"{part}.pem").write_text("x")


@pytest.fixture
def config_dir(tmp_path):
    path = tmp_path / "docker-config"
    path.mkdir()
    make_context(path, "remote", "ssh://ops@build-1")
    make_context(path, "secure", "tcp://10.0.0.5:2376", tls=True)
    return path


def test_default_socket_when_nothing_is_set(tmp_path):
    endpoint = resolve_endpoint(env={"HOME": str(tmp_path)})
    assert (endpoint.url, endpoint.source) == (DEFAULT_SOCKET, "default socket")


def test_host_flag_wins_over_everything(config_dir):
    env = {"DOCKER_CONFIG": str(config_dir), "DOCKER_HOST": "tcp://a:2375", "DOCKER_CONTEXT": "remote"}
    endpoint = resolve_endpoint(host="unix:///tmp/d.sock", env=env)
    assert (endpoint.url, endpoint.source) == ("unix:///tmp/d.sock", "--host")


def test_host_and_context_conflict():
    with pytest.raises(EndpointError, match="either --host or --context"):
        resolve_endpoint(host="unix:///a", context="remote", env={})


def test_context_flag_beats_docker_host(config_dir):
    env = {"DOCKER_CONFIG": str(config_dir), "DOCKER_HOST": "tcp://a:2375"}
    endpoint = resolve_endpoint(context="remote", env=env)
    assert endpoint.url == "ssh://ops@build-1"
    assert endpoint.source == "context 'remote' (--context)"


def test_docker_host_beats_docker_context(config_dir):
    env = {"DOCKER_CONFIG": str(config_dir), "DOCKER_HOST": "tcp://a:2375", "DOCKER_CONTEXT": "remote"}
    assert resolve_endpoint(env=env).source == "DOCKER_HOST"


def test_docker_context_then_current_context(config_dir):
    assert resolve_endpoint(env={"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "remote"}).source == "context 'remote' (DOCKER_CONTEXT)"
    config_dir.joinpath("config.json").write_text(json.dumps({"currentContext": "remote"}))
    endpoint = resolve_endpoint(env={"DOCKER_CONFIG": str(config_dir)})
    assert endpoint.url == "ssh://ops@build-1"
    assert "currentContext" in endpoint.source


def test_context_tls_material_is_found(config_dir):
    endpoint = resolve_endpoint(context="secure", env={"DOCKER_CONFIG": str(config_dir)})
    assert endpoint.tls_verify
    assert endpoint.ca_cert.endswith("ca.pem") and endpoint.client_key.endswith("key.pem")


def test_docker_host_tls_variables(tmp_path):
    env = {"DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)}
    endpoint = resolve_endpoint(env=env)
    assert endpoint.tls_verify and endpoint.ca_cert == str(tmp_path / "ca.pem")


def test_unknown_context_is_a_clear_error(config_dir):
    with pytest.raises(EndpointError, match="docker context ls"):
        resolve_endpoint(context="nope", env={"DOCKER_CONFIG": str(config_dir)})


def test_default_context_means_docker_host_or_socket(config_dir):
    endpoint = resolve_endpoint(context="default", env={"DOCKER_CONFIG": str(config_dir)})
    assert endpoint.url == DEFAULT_SOCKET


def test_credentials_in_urls_are_masked():
    endpoint = resolve_endpoint(host="tcp://admin:hunter2@example:2375", env={})
    assert "hunter2" not in endpoint.display and "admin:***@" in endpoint.display
    assert mask_url_credentials("see https://u:p@r.example/x") == "see https://u:***@r.example/x"


def test_registry_logins_never_read_secrets():
    config = {"auths": {"ghcr.io": {"auth": "c2VjcmV0"}}, "credHelpers": {"123.dkr.ecr": "ecr-login"}, "credsStore": "pass"}
    logins, store = registry_logins(config)
    assert logins == ("123.dkr.ecr", "ghcr.io") and store == "pass"
    assert "c2VjcmV0" not in repr((logins, store))
