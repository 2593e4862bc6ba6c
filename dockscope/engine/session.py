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
import re
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
#: The same while the event stream is followed: events already ask for every change, so this
#: is only a safety net (a daemon may drop events for a slow reader).
INSPECT_MAX_AGE_FOLLOWING = 300.0

#: Docker's human durations in a status line ("Up 5 minutes", "Exited (1) About an hour ago").
_DURATION = re.compile(r"Less than a second|About an? (?:minute|hour)|(\d+) (second|minute|hour|day|week|month|year)s?")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}


def status_parts(status: str | None) -> tuple[str, int | None]:
    """A list entry's status line as (its text without the duration, the duration in seconds).

    "Up 17 minutes (healthy)" -> ("Up _ (healthy)", 1020): the duration
    changes every minute by itself and says nothing new, but one that
    shrinks does (an uptime that restarted, an exit newer than the last).
    """
    text = status or ""
    match = _DURATION.search(text)
    if match is None:
        return text, None
    found = match.group(0)
    if found.startswith("Less"):
        seconds = 0
    elif found.startswith("About"):
        seconds = 3600 if found.endswith("hour") else 60
    else:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return text[: match.start()] + "_" + text[match.end() :], seconds


def entry_changed(before: tuple | None, now: tuple | None) -> bool:
    """True when a container's list entry says more than that time passed since ``before``."""
    if before is None or now is None:
        return before != now
    (state_before, status_before), (state_now, status_now) = before, now
    if state_before != state_now:
        return True
    shape_before, seconds_before = status_parts(status_before)
    shape_now, seconds_now = status_parts(status_now)
    if shape_before != shape_now:
        return True
    return seconds_before is not None and seconds_now is not None and seconds_now < seconds_before


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

    def poll(self, max_inspect_age: float = INSPECT_MAX_AGE) -> HostSnapshot:
        """A full poll: every list, ``/info``, and a fresh inspect of the inspected containers that changed.

        Changed means their list entry says more than that time passed
        (:func:`entry_changed`: another state, health or exit code, or an
        uptime that shrank), or the inspect is older than ``max_inspect_age``.
        Inspecting every one of them again each poll cost a request per
        container for nothing, and so did the status line's minute ticking
        ("Up 17 minutes" -> "Up 18 minutes").
        """
        with self._lock:
            return self._collect(KINDS, lambda listed: self._outdated_inspects(listed, max_inspect_age))

    def _list_entries(self) -> dict[str, tuple]:
        """Container id -> (state, status) as the last ``/containers/json`` said."""
        return {c.get("Id"): (c.get("State"), c.get("Status")) for c in self._raw.containers or ()}

    def _outdated_inspects(self, listed: dict[str, tuple], max_age: float) -> list[str]:
        now = self._clock()
        outdated = []
        for container_id in self._raw.inspects:
            entry, taken = self._inspected_as.get(container_id, (None, 0.0))
            current = listed.get(container_id)
            if entry_changed(entry, current) or now - taken > max_age:
                outdated.append(container_id)
            else:  # compare with the last poll, not the inspect: an uptime shrinks only for a poll or two
                self._inspected_as[container_id] = (current, taken)
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

