"""The fast source: walk overlay2 layer directories of a local daemon.

``GraphDriver.Data`` of an image inspected on overlay2 names the top layer's
diff directory (``UpperDir``) and the ones below it (``LowerDir``, colon
separated, top first). Each is the layer's content as overlayfs stores it:
a deletion is a character device 0/0, an opaque directory carries the xattr
``trusted.overlay.opaque=y`` (``user.overlay.opaque`` when rootless). Reading them needs no export at all.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable, Mapping, Sequence

from dockscope.layers.model import FileEntry, Kind, RawLayer

#: Where overlayfs marks an opaque directory: ``trusted.*`` for a rootful
#: daemon, ``user.*`` for a rootless one (overlay mounted with ``userxattr``).
OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")

#: How many entries are read between two looks at the cancel flag.
CHECK_EVERY = 2048


class OverlayUnavailable(Exception):
    """The overlay2 directories of this image cannot be read here."""


def diff_ids_of(inspect: Mapping) -> list[str]:
    """``RootFS.Layers`` of an inspected image ([] for an image without layers)."""
    return list((inspect.get("RootFS") or {}).get("Layers") or [])


def layer_dirs(inspect: Mapping) -> list[str]:
    """The image's layer diff directories, bottom first.

    Raises:
        OverlayUnavailable: Not overlay2, or the directories are not readable.
    """
    driver = inspect.get("GraphDriver") or {}
    if driver.get("Name") != "overlay2":
        raise OverlayUnavailable(f"storage driver is {driver.get('Name') or 'unknown'}, not overlay2")
    data = driver.get("Data") or {}
    upper = data.get("UpperDir") or ""
    lower = [d for d in (data.get("LowerDir") or "").split(":") if d]
    dirs = [*reversed(lower), upper] if upper else list(reversed(lower))
    layers = diff_ids_of(inspect)
    if len(dirs) != len(layers):
        raise OverlayUnavailable(f"{len(dirs)} layer directories for {len(layers)} layers")
    for path in dirs:
        if not os.path.isdir(path) or not os.access(path, os.R_OK | os.X_OK):
            raise OverlayUnavailable(f"cannot read {path}")
    return dirs


def _is_opaque(path: str) -> bool:
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError as error:
            if error.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
    return False


def _kind_and_size(st: os.stat_result) -> tuple[Kind, int]:
    fmt = stat.S_IFMT(st.st_mode)
    if fmt == stat.S_IFREG:
        return Kind.FILE, st.st_size
    if fmt == stat.S_IFLNK:
        return Kind.SYMLINK, st.st_size
    if fmt == stat.S_IFCHR and st.st_rdev == 0:
        return Kind.WHITEOUT, 0
    return Kind.OTHER, 0


def walk_layer_dir(root: str, check: Callable[[], None] = lambda: None) -> tuple[FileEntry, ...]:
    """All entries of one diff directory, sorted by path.

    A file with more hard links in the same layer is a :attr:`Kind.FILE` at its
    first path in ``docker save`` order (each directory's names sorted) and a
    :attr:`Kind.HARDLINK` of size 0 at the others, as the layer's tar has it.
    """
    entries: list[FileEntry] = []
    linked: dict[tuple[int, int], list[int]] = {}
    pending = [(root, "")]
    seen = 0
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as it:
            for item in it:
                path = f"{prefix}/{item.name}"
                st = item.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    kind, size = (Kind.OPAQUE_DIR if _is_opaque(item.path) else Kind.DIR), 0
                    pending.append((item.path, path))
                else:
                    kind, size = _kind_and_size(st)
                    if kind is Kind.FILE and st.st_nlink > 1:
                        linked.setdefault((st.st_dev, st.st_ino), []).append(len(entries))
                mode = 0 if kind is Kind.WHITEOUT else stat.S_IMODE(st.st_mode)
                entries.append(FileEntry(path, size, kind, mode))
                seen += 1
                if seen % CHECK_EVERY == 0:
                    check()
    _mark_hardlinks(entries, linked)
    entries.sort(key=lambda e: e.path)
    return tuple(entries)


def _mark_hardlinks(entries: list[FileEntry], linked: Mapping[tuple[int, int], Sequence[int]]) -> None:
    for positions in linked.values():
        if len(positions) < 2:
            continue
        ordered = sorted(positions, key=lambda i: entries[i].path.split("/"))
        for i in ordered[1:]:
            e = entries[i]
            entries[i] = FileEntry(e.path, 0, Kind.HARDLINK, e.mode)


def read_overlay_layers(
    inspect: Mapping,
    progress: Callable[[int, int], None] = lambda done, total: None,
    check: Callable[[], None] = lambda: None,
) -> list[RawLayer]:
    """Read every layer of an inspected image from its overlay2 directories."""
    dirs = layer_dirs(inspect)
    diff_ids = diff_ids_of(inspect)
    layers = []
    for index, (path, diff_id) in enumerate(zip(dirs, diff_ids)):
        progress(index, len(dirs))
        layers.append(RawLayer(diff_id, walk_layer_dir(path, check)))
    progress(len(dirs), len(dirs))
    return layers


def read_image_config(docker_root: str, image_id: str) -> dict | None:
    """The image config from the daemon's image store, or None when unreadable.

    Only the config keeps the ``empty_layer`` flags of the history; the API's
    history endpoint drops them.
    """
    digest = image_id.split(":", 1)[-1]
    path = os.path.join(docker_root, "image", "overlay2", "imagedb", "content", "sha256", digest)
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None
