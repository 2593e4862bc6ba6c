"""A docker-py client made on first use.

When another process took the first snapshot (see ``dockscope.cli.run_app``)
the dashboard's own client is not needed before the first frame, and making
it imports docker-py and requests: about 0.2 s of CPU on the thread that
draws. :class:`LazyClient` stands in for it in the :class:`HostSession` and
opens the real one in whichever thread first calls the API (the engine's
worker, after the first frame).
"""

from __future__ import annotations

import threading
from typing import Any

from dockscope.engine.model import Endpoint


class LazyClient:
    """Forwards every attribute to ``open_client(endpoint, timeout)``, made once, on first use.

    ``api_version`` is known beforehand (the process that took the first
    snapshot negotiated it), so the status bar does not make the client.
    When the daemon cannot be reached at that moment the call fails like a
    broken socket (:class:`ConnectionError`), so the session shows the host
    as disconnected and tries again on its next poll.
    """

    def __init__(self, endpoint: Endpoint, timeout: float | None, api_version: str) -> None:
        self._endpoint = endpoint
        self._timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()
        self.api_version = api_version

    @property
    def opened(self) -> bool:
        """Whether the real client was made."""
        return self._client is not None

    def real(self) -> Any:
        """The ``docker.APIClient``, opened now if it was not yet."""
        with self._lock:
            if self._client is None:
                from dockscope.engine.connect import ConnectError, open_client

                try:
                    self._client = open_client(self._endpoint, timeout=self._timeout, version=self.api_version or None)
                except ConnectError as error:
                    raise ConnectionError(str(error)) from error
                self.api_version = str(getattr(self._client, "api_version", self.api_version))
            return self._client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # protocols (copy, pickle probe these) are not the client's
            raise AttributeError(name)
        return getattr(self.real(), name)
