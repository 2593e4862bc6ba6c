"""One module per pane; each registers itself in :data:`dockscope.panes.base.PANES`.

The app imports a pane's module only when the pane is first shown
(:func:`pane_class`): at start only the start pane's, the others cost a
fifth of the import time before the first frame (the daemon-log pane's alone
about a tenth).
"""

import importlib

from dockscope.panes.base import PANES, Pane

__all__ = ["PANES", "PANE_MODULES", "Pane", "load_panes", "pane_class"]

#: pane id -> the module that defines and registers it, in the panes' order.
PANE_MODULES: dict[str, str] = {
    "map": "dockscope.panes.map",
    "containers": "dockscope.panes.containers",
    "images": "dockscope.panes.images",
    "networks": "dockscope.panes.networks",
    "volumes": "dockscope.panes.volumes",
    "daemon_logs": "dockscope.panes.daemon_logs",
}


def pane_class(pane_id: str) -> type[Pane]:
    """The class of pane ``pane_id``, its module imported on first use (KeyError: no such pane)."""
    if pane_id not in PANES:
        importlib.import_module(PANE_MODULES[pane_id])
    return PANES[pane_id]


def load_panes() -> dict[str, type[Pane]]:
    """Import every pane module (they register on import) and return the registry in key order."""
    for pane_id in PANE_MODULES:
        pane_class(pane_id)
    return dict(sorted(PANES.items(), key=lambda item: item[1].order))
