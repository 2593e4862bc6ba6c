"""Container actions (start, stop, restart, pause, kill, remove, prune, exec) with errors in words.

Every call that changes something goes through :class:`ContainerActions`,
which refuses them all when built ``read_only`` (the UI hides the keys too;
this is the second lock). Daemon refusals (404 gone, 409 conflict, a port
already taken, exec into a restarting container ...) come back as
:class:`ActionError` with a sentence a person can act on. Nothing here
imports textual or rich.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dockscope.engine.model import Endpoint

#: Seconds ``stop``/``restart`` wait before SIGKILL (the docker CLI default).
STOP_TIMEOUT = 10
#: Shells tried, in order, for an interactive exec.
SHELLS = ("/bin/bash", "/bin/sh")
MUTATING = ("start", "stop", "restart", "pause", "unpause", "kill", "remove")


class ReadOnlyError(Exception):
    """An action was asked for in read-only mode."""

    def __init__(self, action: str) -> None:
        super().__init__(f"read-only mode: '{action}' is disabled (dockscope was started with --read-only)")


class ActionError(Exception):
    """The daemon refused an action; ``str()`` says why in words."""


@dataclass(frozen=True)
class ActionResult:
    """What happened to one container in a (bulk) action."""

    container_id: str
    name: str
    ok: bool
    message: str


def _status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def _daemon_text(error: BaseException) -> str:
    return str(getattr(error, "explanation", None) or error)


def explain(error: BaseException, action: str, name: str) -> str:
    """A sentence for a daemon refusal of ``action`` on container ``name``."""
    status = _status(error)
    text = _daemon_text(error)
    lowered = text.lower()
    if status == 404 or "no such container" in lowered:
        return f"{name}: the container is gone (removed meanwhile); nothing to {action}."
    if "is restarting" in lowered:
        return f"{name}: the container is restarting (crash loop?); it cannot {action} until it stays up. Stop it, or read its logs."
    if "is paused" in lowered:
        return f"{name}: the container is paused; unpause it first."
    if "is not paused" in lowered:
        return f"{name}: the container is not paused."
    if "already paused" in lowered:
        return f"{name}: the container is already paused."
    if "is not running" in lowered:
        return f"{name}: the container is not running; start it first."
    if "already in progress" in lowered:
        return f"{name}: another {action if action == 'remove' else 'operation'} of this container is already in progress; wait for it."
    if "address already in use" in lowered or "port is already allocated" in lowered:
        return f"{name}: a published port is already taken on the host by another process or container ({text[-160:]})."
    if "cannot remove a running container" in lowered or "stop the container before" in lowered:
        return f"{name}: the container is running; stop it before removing it."
    if "executable file not found" in lowered or "no such file or directory" in lowered:
        return f"{name}: the command was not found in the container ({text[-200:]})."
    if status == 409:
        return f"{name}: conflict: {text}"
    return f"{name}: {action} failed: {text}"


class ContainerActions:
    """The mutating calls, guarded by ``read_only`` and explained on failure."""

    def __init__(self, client, *, read_only: bool) -> None:
        self.client = client
        self.read_only = read_only

    def _guard(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyError(action)

    def _call(self, action: str, name: str, call: Callable[[], object]) -> object:
        self._guard(action)
        from docker.errors import APIError

        try:
            return call()
        except APIError as error:
            raise ActionError(explain(error, action, name)) from None

    def start(self, container_id: str, name: str = "") -> None:
        self._call("start", name or container_id[:12], lambda: self.client.start(container_id))

    def stop(self, container_id: str, name: str = "", timeout: int = STOP_TIMEOUT) -> None:
        self._call("stop", name or container_id[:12], lambda: self.client.stop(container_id, timeout=timeout))

    def restart(self, container_id: str, name: str = "", timeout: int = STOP_TIMEOUT) -> None:
        self._call("restart", name or container_id[:12], lambda: self.client.restart(container_id, timeout=timeout))

    def pause(self, container_id: str, name: str = "") -> None:
        self._call("pause", name or container_id[:12], lambda: self.client.pause(container_id))

    def unpause(self, container_id: str, name: str = "") -> None:
        self._call("unpause", name or container_id[:12], lambda: self.client.unpause(container_id))

    def kill(self, container_id: str, name: str = "", signal: str = "SIGKILL") -> None:
        self._call("kill", name or container_id[:12], lambda: self.client.kill(container_id, signal=signal))

    def remove(self, container_id: str, name: str = "", *, force: bool = False) -> None:
        """Remove the container (``force`` kills a running one first); its anonymous volumes stay."""
        self._call("remove", name or container_id[:12], lambda: self.client.remove_container(container_id, force=force))

    def prune(self, label: str | None = None) -> tuple[list[str], int]:
        """Remove every stopped container (only those with ``label`` when given).

        Returns:
            The ids removed and the bytes reclaimed.
        """
        filters = {"label": label} if label else None
        result = self._call("prune", "stopped containers", lambda: self.client.prune_containers(filters=filters)) or {}
        return list(result.get("ContainersDeleted") or ()), int(result.get("SpaceReclaimed") or 0)

    def bulk(self, action: str, targets: Iterable[tuple[str, str]], **options) -> list[ActionResult]:
        """Run ``action`` (one of :data:`MUTATING`) on each (id, name); one failure does not stop the rest."""
        self._guard(action)
        if action not in MUTATING:
            raise ValueError(f"unknown action {action!r}")
        results = []
        for container_id, name in targets:
            try:
                getattr(self, action)(container_id, name, **options)
                results.append(ActionResult(container_id, name, True, f"{name}: {action} done"))
            except ActionError as error:
                results.append(ActionResult(container_id, name, False, str(error)))
        return results

    def find_shell(self, container_id: str, name: str = "") -> str:
        """The first shell of :data:`SHELLS` that runs in the container.

        Raises:
            ActionError: the container cannot exec (not running, restarting,
                paused) or its image has no shell.
        """
        self._guard("exec")
        label = name or container_id[:12]
        for shell in SHELLS:
            exec_id = self._call("exec", label, lambda shell=shell: self.client.exec_create(container_id, [shell, "-c", "exit 0"]))
            output = self._call("exec", label, lambda: self.client.exec_start(exec_id["Id"]))
            code = self.client.exec_inspect(exec_id["Id"]).get("ExitCode")
            if code == 0:
                return shell
            text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
            if code not in (126, 127) and "not found" not in text and "no such file" not in text.lower():
                raise ActionError(f"{label}: {shell} failed to start (exit {code}): {text.strip()[-200:]}")
        raise ActionError(
            f"{label}: the image has no shell ({', '.join(SHELLS)} not found). It is probably built FROM scratch or "
            "distroless: debug it from another container sharing its namespaces, e.g. "
            f"docker run -it --pid container:{container_id[:12]} --network container:{container_id[:12]} busybox sh"
        )


def docker_cli() -> str | None:
    """Path of the docker CLI, if installed."""
    return shutil.which("docker")


def exec_command(endpoint: Endpoint, container_id: str, shell: str) -> tuple[list[str], dict[str, str]]:
    """argv and environment to run ``docker exec -it <id> <shell>`` against ``endpoint``.

    Raises:
        ActionError: the docker CLI is not installed (it owns the terminal
            handling of an interactive exec; dockscope does not re-implement it).
    """
    cli = docker_cli()
    if cli is None:
        raise ActionError(
            f"a shell needs the docker CLI (not found): install docker-ce-cli, then docker exec -it {container_id[:12]} {shell}"
            " (see https://docs.docker.com/engine/install/)"
        )
    env = dict(os.environ)
    argv = [cli]
    if endpoint.context:
        argv += ["--context", endpoint.context]
    else:
        env["DOCKER_HOST"] = endpoint.url
        env.pop("DOCKER_CONTEXT", None)
        if endpoint.tls_verify:
            env["DOCKER_TLS_VERIFY"] = "1"
        if endpoint.ca_cert:
            env["DOCKER_CERT_PATH"] = os.path.dirname(endpoint.ca_cert)
    argv += ["exec", "-it", container_id, shell]
    return argv, env
