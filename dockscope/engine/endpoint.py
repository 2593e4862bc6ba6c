"""Choose the daemon endpoint the way the docker CLI does, and say why.

Order (as ``docker`` itself): ``--host``; else ``--context``; else
``DOCKER_HOST`` (with ``DOCKER_TLS_VERIFY`` / ``DOCKER_CERT_PATH``); else
``DOCKER_CONTEXT``; else ``currentContext`` in ``config.json``; else the default
socket. A context's endpoint is read from
``$DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json`` and its TLS files
from ``contexts/tls/<sha256(name)>/docker/``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from dockscope.engine.model import Endpoint

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


class EndpointError(Exception):
    """The endpoint cannot be chosen (unknown context, conflicting options)."""


def docker_config_dir(env: Mapping[str, str]) -> Path:
    """``$DOCKER_CONFIG``, else ``~/.docker``."""
    if env.get("DOCKER_CONFIG"):
        return Path(env["DOCKER_CONFIG"])
    return Path(env.get("HOME") or Path.home()) / ".docker"


def read_config(env: Mapping[str, str]) -> dict:
    """The client's ``config.json`` (an empty dict when missing or unreadable)."""
    try:
        with open(docker_config_dir(env) / "config.json", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def registry_logins(config: Mapping) -> tuple[tuple[str, ...], str | None]:
    """Registries the user is logged in to and the credential store, never the secrets."""
    names = set((config.get("auths") or {}).keys()) | set((config.get("credHelpers") or {}).keys())
    store = config.get("credsStore")
    return tuple(sorted(str(n) for n in names)), str(store) if store else None


def _from_docker_host(env: Mapping[str, str], source: str) -> Endpoint:
    url = env["DOCKER_HOST"]
    verify = env.get("DOCKER_TLS_VERIFY", "") not in ("", "0")
    cert_path = env.get("DOCKER_CERT_PATH") or str(docker_config_dir(env))
    tls = verify or (url.startswith("tcp://") and url.rstrip("/").endswith(":2376"))
    if not tls:
        return Endpoint(url=url, source=source)
    return Endpoint(
        url=url,
        source=source,
        tls_verify=verify,
        ca_cert=os.path.join(cert_path, "ca.pem"),
        client_cert=os.path.join(cert_path, "cert.pem"),
        client_key=os.path.join(cert_path, "key.pem"),
    )


def _from_context(name: str, env: Mapping[str, str], why: str) -> Endpoint:
    source = f"context {name!r} ({why})"
    if name == "default":
        if env.get("DOCKER_HOST"):
            return _from_docker_host(env, f"{source} -> DOCKER_HOST")
        return Endpoint(url=DEFAULT_SOCKET, source=f"{source} -> default socket", context=name)
    digest = hashlib.sha256(name.encode()).hexdigest()
    base = docker_config_dir(env) / "contexts"
    try:
        with open(base / "meta" / digest / "meta.json", encoding="utf-8") as handle:
            meta = json.load(handle)
        docker = meta["Endpoints"]["docker"]
        url = str(docker["Host"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EndpointError(
            f"docker context {name!r} ({why}) was not found or has no docker endpoint "
            f"in {base / 'meta'}; list them with: docker context ls"
        ) from error
    tls_dir = base / "tls" / digest / "docker"
    files = {n: str(tls_dir / f"{n}.pem") for n in ("ca", "cert", "key") if (tls_dir / f"{n}.pem").is_file()}
    return Endpoint(
        url=url,
        source=source,
        context=name,
        tls_verify=bool(files) and not docker.get("SkipTLSVerify", False),
        ca_cert=files.get("ca"),
        client_cert=files.get("cert"),
        client_key=files.get("key"),
    )


def resolve_endpoint(
    host: str | None = None,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Endpoint:
    """Pick the endpoint like the docker CLI and record where the choice came from.

    Raises:
        EndpointError: both ``--host`` and ``--context`` given, or an unknown context.
    """
    env = os.environ if env is None else env
    if host and context:
        raise EndpointError("conflicting options: give either --host or --context, not both")
    if host:
        return Endpoint(url=host, source="--host")
    if context:
        return _from_context(context, env, "--context")
    if env.get("DOCKER_HOST"):
        return _from_docker_host(env, "DOCKER_HOST")
    if env.get("DOCKER_CONTEXT"):
        return _from_context(env["DOCKER_CONTEXT"], env, "DOCKER_CONTEXT")
    current = read_config(env).get("currentContext")
    if isinstance(current, str) and current and current != "default":
        return _from_context(current, env, f"currentContext in {docker_config_dir(env) / 'config.json'}")
    return Endpoint(url=DEFAULT_SOCKET, source="default socket")
