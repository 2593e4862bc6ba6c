"""Collect the host with the low-level API and hand out immutable snapshots.

One list call per kind (``/containers/json?all=1`` ...), never docker-py's
model layer, which inspects every object again. ``inspect`` runs only for the
containers someone looks at (rows on screen, the selection, probes), and
``/system/df`` on its own, slower cadence. Calls are serialised by a lock, so
two polls never overlap; every snapshot carries a rising sequence number.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable

from dockscope.engine.endpoint import read_config, registry_logins
from dockscope.engine.model import CollectError, ConnectionState, Endpoint, HostSnapshot
from dockscope.engine.snapshot import RawHost, build_snapshot

KINDS = ("containers", "images", "networks", "volumes", "info")
#: Seconds after which a full poll inspects a container again even if its list entry
#: did not change (a network connected while the event stream was down, say).
INSPECT_MAX_AGE = 60.0


def is_connection_failure(error: BaseException) -> bool:
    """True when ``error`` means the daemon is unreachable, not that a request was refused."""
    from docker.errors import APIError
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import Timeout

    if isinstance(error, APIError):
        return False
    return isinstance(error, (RequestsConnectionError, Timeout, ConnectionError, TimeoutError, OSError))


def is_not_found(error: BaseException) -> bool:
    from docker.errors import NotFound

    return isinstance(error, NotFound)


class HostSession:
    """Owns the API client and the latest raw answers; produces snapshots."""

    def __init__(self, endpoint: Endpoint, client, clock: Callable[[], float] = time.time) -> None:
        self.endpoint = endpoint
        self.client = client
        self._clock = clock
        self._raw = RawHost()
        self._raw.logins, self._raw.creds_store = registry_logins(read_config(os.environ))
        #: container id -> (its list entry's state and status when inspected, when).
        self._inspected_as: dict[str, tuple[tuple, float]] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.state: ConnectionState = "connected"
        self.last_error: str = ""

    @property
    def api_version(self) -> str:
        return str(getattr(self.client, "api_version", ""))

    def open_client(self, timeout: float | None):
        """A client of its own for a stream or a worker, on the API version already negotiated.

        Raises:
            ConnectError: the daemon cannot be reached.
        """
        from dockscope.engine.connect import open_client

        return open_client(self.endpoint, timeout=timeout, version=self.api_version or None)

    def _fetch(self, kind: str) -> None:
        api = self.client
        if kind == "containers":
            self._raw.containers = api.containers(all=True)
            alive = {c.get("Id") for c in self._raw.containers}
            self._raw.inspects = {k: v for k, v in self._raw.inspects.items() if k in alive}
            self._inspected_as = {k: v for k, v in self._inspected_as.items() if k in alive}
        elif kind == "images":
            self._raw.images = api.images()
        elif kind == "networks":
            self._raw.networks = api.networks()
        elif kind == "volumes":
            self._raw.volumes = (api.volumes() or {}).get("Volumes") or []
        elif kind == "info":
            self._raw.info = api.info()
            if self._raw.version is None:
                self._raw.version = api.version()
        elif kind == "df":
            self._raw.df = api.df()
            self._raw.df_taken_at = self._clock()

    def _collect(
        self, kinds: Iterable[str], inspect_ids: Iterable[str] | Callable[[dict[str, tuple]], list[str]] = ()
    ) -> HostSnapshot:
        """Fetch ``kinds``, then inspect ``inspect_ids`` (a callable: asked after the fetch, given the list entries)."""
        errors: list[CollectError] = []
        for kind in kinds:
            try:
                self._fetch(kind)
            except Exception as error:  # one kind failing must not lose the others
                if is_connection_failure(error):
                    return self._disconnected(error)
                errors.append(CollectError(kind, str(error)))
        ids = list(inspect_ids) if not callable(inspect_ids) else None
        listed = self._list_entries() if ids is None or ids else {}
        if ids is None:
            ids = inspect_ids(listed)
        for container_id in ids:
            try:
                self._raw.inspects[container_id] = self.client.inspect_container(container_id)
                self._inspected_as[container_id] = (listed.get(container_id), self._clock())
            except Exception as error:
                if is_connection_failure(error):
                    return self._disconnected(error)
                self._raw.inspects.pop(container_id, None)
                if not is_not_found(error):  # a container that vanished is normal
                    errors.append(CollectError(f"inspect {container_id[:12]}", str(error)))
        self.state = "connected"
        self.last_error = ""
        return self._snapshot(errors)

    def _disconnected(self, error: BaseException) -> HostSnapshot:
        self.state = "disconnected"
        self.last_error = str(error)
        self._raw.version = None  # the daemon may come back as another version
        return self._snapshot([CollectError("connection", str(error))])

    def _snapshot(self, errors: list[CollectError]) -> HostSnapshot:
        return build_snapshot(
            self._raw,
            seq=next(self._seq),
            taken_at=self._clock(),
            endpoint=self.endpoint,
            state=self.state,
            errors=errors,
        )

    def poll(self) -> HostSnapshot:
        """A full poll: every list, ``/info``, and a fresh inspect of the inspected containers that changed.

        Changed means their list entry (state, and Docker's status line: uptime,
        restarts, health) is not what it was when they were inspected, or the
        inspect is older than :data:`INSPECT_MAX_AGE`. Inspecting every one of
        them again each poll cost a request per container for nothing.
        """
        with self._lock:
            return self._collect(KINDS, self._outdated_inspects)

    def _list_entries(self) -> dict[str, tuple]:
        """Container id -> (state, status) as the last ``/containers/json`` said."""
        return {c.get("Id"): (c.get("State"), c.get("Status")) for c in self._raw.containers or ()}

    def _outdated_inspects(self, listed: dict[str, tuple]) -> list[str]:
        now = self._clock()
        outdated = []
        for container_id in self._raw.inspects:
            entry, taken = self._inspected_as.get(container_id, (None, 0.0))
            if listed.get(container_id) != entry or now - taken > INSPECT_MAX_AGE:
                outdated.append(container_id)
        return outdated

    def refresh(self, kinds: Iterable[str], container_ids: Iterable[str] = ()) -> HostSnapshot:
        """Re-read only some kinds (after events) and re-inspect some containers."""
        with self._lock:
            wanted = [k for k in KINDS + ("df",) if k in set(kinds)]
            return self._collect(wanted, list(dict.fromkeys(container_ids)))

    def ensure_inspected(self, container_ids: Iterable[str]) -> HostSnapshot | None:
        """Inspect the given containers not inspected yet; None when nothing was missing."""
        with self._lock:
            missing = [c for c in dict.fromkeys(container_ids) if c not in self._raw.inspects]
            if not missing:
                return None
            return self._collect((), missing)

    def inspect_all(self) -> HostSnapshot:
        """Inspect every container (headless diagnosis)."""
        with self._lock:
            self._fetch("containers")
            ids = [c.get("Id") for c in self._raw.containers]
            return self._collect((), [i for i in ids if isinstance(i, str)])

    def disk_usage(self) -> HostSnapshot:
        """``/system/df`` and the layer chains of images not read yet: slow, so on their own cadence."""
        with self._lock:
            snapshot = self._collect(("df",))
        if snapshot.stale:
            return snapshot
        return self.read_image_layers(snapshot.errors) or snapshot

    def read_image_layers(self, errors: Iterable[CollectError] = ()) -> HostSnapshot | None:
        """Read the layer chains of images not read yet (never again: images are immutable).

        The reads run outside the lock, so a host with many new images does
        not hold back the fast poll; chains of images that are gone are
        dropped. None when nothing was missing.
        """
        from dockscope.engine.image_usage import read_chain

        with self._lock:
            ids = {str(i.get("Id")) for i in self._raw.images} | {str(i.get("Id")) for i in (self._raw.df or {}).get("Images") or ()}
            ids.discard("None")
            self._raw.image_chains = {k: v for k, v in self._raw.image_chains.items() if k in ids}
            missing = sorted(ids - self._raw.image_chains.keys())
        if not missing:
            return None
        found, failures = {}, list(errors)
        for image_id in missing:
            try:
                found[image_id] = read_chain(image_id, self.client.inspect_image(image_id), self.client.history(image_id))
            except Exception as error:
                if is_connection_failure(error):
                    with self._lock:
                        return self._disconnected(error)
                if not is_not_found(error):  # removed meanwhile is normal
                    failures.append(CollectError(f"image {image_id[7:19]}", str(error)))
        with self._lock:
            self._raw.image_chains.update(found)
            return self._snapshot(failures)

