"""dockscope: a terminal dashboard that shows a Docker host as it is."""

__version__ = "0.1.0"
