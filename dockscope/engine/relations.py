"""The links between objects of one snapshot: pure, no UI.

container -> image, networks, volumes (and the other containers there);
image, network, volume -> containers. The UI uses :func:`related` to offer
links and :func:`related_keys` to highlight rows in the other panes.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockscope.engine.model import Container, HostSnapshot

#: Kinds of object a selection can name.
KINDS = ("container", "image", "network", "volume")


@dataclass(frozen=True)
class Link:
    """One related object: its kind, key (id or volume name), label and why it is related."""

    relation: str
    kind: str
    key: str
    label: str


def _container_link(relation: str, container: Container) -> Link:
    return Link(relation, "container", container.id, container.name)


def _network_id(snapshot: HostSnapshot, name: str, network_id: str) -> str:
    if network_id in snapshot.network_by_id:
        return network_id
    return next((n.id for n in snapshot.networks if n.name == name), "")


def container_links(snapshot: HostSnapshot, container: Container) -> tuple[Link, ...]:
    """The image, networks and volumes of a container."""
    links = []
    image = snapshot.image_by_id.get(container.image_id)
    if image is not None:
        links.append(Link("image", "image", image.id, image.display_name))
    for att in container.networks:
        network_id = _network_id(snapshot, att.network_name, att.network_id)
        if network_id:
            links.append(Link("network", "network", network_id, att.network_name))
    for name in container.volume_names:
        if name in snapshot.volume_by_name:
            links.append(Link("volume", "volume", name, name))
    return tuple(links)


def _users(snapshot: HostSnapshot, ids: tuple[str, ...], relation: str) -> tuple[Link, ...]:
    found = snapshot.container_by_id
    return tuple(_container_link(relation, found[c]) for c in ids if c in found)


def related(snapshot: HostSnapshot, kind: str, key: str) -> tuple[Link, ...]:
    """Every object one step away from (kind, key); empty when it is unknown."""
    if kind == "container":
        container = snapshot.container_by_id.get(key)
        return container_links(snapshot, container) if container else ()
    if kind == "image":
        image = snapshot.image_by_id.get(key)
        return _users(snapshot, image.container_ids, "used by") if image else ()
    if kind == "network":
        network = snapshot.network_by_id.get(key)
        return _users(snapshot, network.container_ids, "attached") if network else ()
    if kind == "volume":
        volume = snapshot.volume_by_name.get(key)
        return _users(snapshot, volume.container_ids, "mounted by") if volume else ()
    return ()


def related_keys(snapshot: HostSnapshot, kind: str, key: str, wanted: str) -> frozenset[str]:
    """Keys of the ``wanted`` kind related to (kind, key), for highlighting.

    A container's neighbours of the same kind (the other containers on its
    networks) count too, so the containers pane can light them up.
    """
    direct = related(snapshot, kind, key)
    keys = {link.key for link in direct if link.kind == wanted}
    if kind == "container" and wanted == "container":
        for link in direct:
            if link.kind == "network":
                keys |= {l.key for l in related(snapshot, "network", link.key)}
        keys.discard(key)
    return frozenset(keys)
