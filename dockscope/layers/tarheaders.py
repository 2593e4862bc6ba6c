"""A lean, stream-only reader of tar headers (ustar, GNU long names, PAX).

Layer tars hold tens of thousands of members and only their headers matter.
:mod:`tarfile` parses every field of every header and copies the skipped
contents through two layers of buffers; this reads the 512-byte header, takes
name, type, size, mode and link target, and skips the contents through one
reused buffer. It roughly halves the CPU time of the streamed path, which
runs alongside the daemon writing the stream. Formats are read as tarfile
reads them (names and PAX values as UTF-8 with surrogate escapes).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import NamedTuple

BLOCK = 512
_SKIP_BUFFER = 1 << 20
#: Types whose size counts data blocks that follow the header.
_DATA_TYPES = frozenset("0\x007S")
#: Types tarfile knows; unknown ones are treated as having data, as tarfile does.
_KNOWN_TYPES = frozenset("0\x001234567SxgLK")


class TarFormatError(Exception):
    """The bytes are not a tar archive."""


class Header(NamedTuple):
    """What a layer needs from one member."""

    name: str
    #: The tar type flag: "0" file, "1" hard link, "2" symlink, "5" directory ...
    type: str
    size: int
    mode: int
    linkname: str


def _text(field: bytes) -> str:
    end = field.find(b"\0")
    return (field if end < 0 else field[:end]).decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    """An octal number, or GNU base-256 when the high bit of the first byte is set."""
    if field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return value - (1 << (8 * len(field) - 8)) if field[0] == 0xFF else value
    text = field.split(b"\0", 1)[0].strip()
    try:
        return int(text or b"0", 8)
    except ValueError:
        raise TarFormatError(f"bad number in tar header: {field!r}") from None


def _checksum_ok(block: bytes) -> bool:
    try:
        stored = _number(block[148:156])
    except TarFormatError:
        return False
    if stored == sum(block[:148]) + 256 + sum(block[156:]):
        return True
    signed = sum(b - 256 if b > 127 else b for b in block[:148] + block[156:]) + 256
    return stored == signed


class _Reader:
    def __init__(self, fileobj) -> None:
        self.file = fileobj
        self._skip = bytearray(_SKIP_BUFFER)

    def read(self, count: int) -> bytes:
        parts, left = [], count
        while left:
            part = self.file.read(left)
            if not part:
                break
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def skip(self, count: int) -> None:
        view = memoryview(self._skip)
        while count:
            got = self.file.readinto(view[: min(count, _SKIP_BUFFER)])
            if not got:
                raise TarFormatError("tar archive ends inside a member")
            count -= got


def _pax_records(data: bytes) -> dict[str, str]:
    records: dict[str, str] = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position)
        if space < 0:
            break
        length = int(data[position:space])
        if length <= 0:
            break
        key, _, value = data[space + 1 : position + length - 1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return records


class Member(io.RawIOBase):
    """The data of one member, read straight from the archive; at most its size."""

    def __init__(self, fileobj, size: int) -> None:
        super().__init__()
        self._file = fileobj
        self.remaining = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        """Fill ``buffer`` as far as the member goes (so ``peek`` sees whole headers)."""
        view = memoryview(buffer).cast("B")[: self.remaining]
        filled = 0
        while filled < len(view):
            got = self._file.readinto(view[filled:])
            if not got:
                raise TarFormatError("tar archive ends inside a member")
            filled += got
        self.remaining -= filled
        return filled


def iter_members(fileobj) -> Iterator[tuple[Header, Member]]:
    """The members of a tar read from ``fileobj`` (``read`` and ``readinto``), in stream order.

    Each comes with a :class:`Member` over its data, valid until the next one is
    asked for; whatever the caller did not read is skipped then.
    """
    return _walk(fileobj, with_data=True)


def iter_headers(fileobj) -> Iterator[Header]:
    """The members' headers of a tar read from ``fileobj``, contents skipped."""
    for header, _ in _walk(fileobj, with_data=False):
        yield header


def _walk(fileobj, with_data: bool) -> Iterator[tuple[Header, Member | None]]:
    reader = _Reader(fileobj)
    pax: dict[str, str] = {}
    long_name = long_link = None
    while True:
        block = reader.read(BLOCK)
        if len(block) < BLOCK or block.count(0) == BLOCK:
            return
        if not _checksum_ok(block):
            raise TarFormatError("bad tar header checksum")
        kind = chr(block[156])
        stored = _number(block[124:136])
        if kind in "xgLK":
            data = reader.read(-(-stored // BLOCK) * BLOCK)[:stored]
            if kind == "x":
                pax.update(_pax_records(data))
            elif kind == "L":
                long_name = _text(data)
            elif kind == "K":
                long_link = _text(data)
            continue
        name = _text(block[0:100])
        if block[257:263] == b"ustar\0" and block[345]:
            name = f"{_text(block[345:500])}/{name}"
        name = pax.get("path") or long_name or name
        linkname = pax.get("linkpath") or long_link or _text(block[157:257])
        stored = int(pax["size"]) if "size" in pax else stored
        size = _number(block[483:495]) if kind == "S" else stored  # old GNU sparse: the real size
        if kind == "\0" and name.endswith("/"):
            kind = "5"
        if kind == "5":
            name = name.rstrip("/")
        data_size = stored if kind in _DATA_TYPES or kind not in _KNOWN_TYPES else 0
        member = Member(reader.file, data_size) if with_data else None
        yield Header(name, kind, size, _number(block[100:108]) & 0o7777, linkname), member
        unread = member.remaining if member is not None else data_size
        reader.skip(unread + (-data_size % BLOCK))
        pax, long_name, long_link = {}, None, None
