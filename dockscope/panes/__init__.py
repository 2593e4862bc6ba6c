"""One module per pane; each registers itself in :data:`dockscope.panes.base.PANES`."""

from dockscope.panes.base import PANES, Pane

__all__ = ["PANES", "Pane", "load_panes"]


def load_panes() -> dict[str, type[Pane]]:
    """Import every pane module (they register on import) and return the registry in key order."""
    from dockscope.panes import containers, daemon_logs, images, map, networks, volumes  # noqa: F401

    return dict(sorted(PANES.items(), key=lambda item: item[1].order))
