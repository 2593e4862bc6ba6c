"""The lean tar header reader agrees with tarfile on every format tarfile writes."""

from __future__ import annotations

import io
import tarfile

import pytest

from dockscope.layers.tarheaders import TarFormatError, iter_headers, iter_members


def sample(fmt: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        members = [
            ("dir", tarfile.DIRTYPE, b"", "", 0o755),
            ("dir/file", tarfile.REGTYPE, b"x" * 1000, "", 0o4755),
            ("dir/" + "n" * 120 + "/deep/" + "m" * 90, tarfile.REGTYPE, b"y" * 513, "", 0o600),
            ("dir/link", tarfile.SYMTYPE, b"", "/" + "t" * 150, 0o777),
            ("dir/hard", tarfile.LNKTYPE, b"", "dir/file", 0o644),
            ("dir/fifo", tarfile.FIFOTYPE, b"", "", 0o644),
            ("dir/empty", tarfile.REGTYPE, b"", "", 0o644),
            ("dir/caf\u00e9", tarfile.REGTYPE, b"z", "", 0o644),
        ]
        for name, kind, data, link, mode in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode, info.size = kind, link, mode, len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_same_as_tarfile(fmt):
    data = sample(fmt)
    mine = [(h.name, h.type, h.size, h.mode, h.linkname) for h in iter_headers(io.BufferedReader(io.BytesIO(data)))]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        theirs = [
            (m.name, m.type.decode(), m.size, m.mode, m.linkname)
            for m in tar.getmembers()
        ]
    assert mine == theirs


def test_ustar_prefix_field():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("p" * 80 + "/" + "q" * 80)
        tar.addfile(info)
    assert [h.name for h in iter_headers(io.BytesIO(buffer.getvalue()))] == ["p" * 80 + "/" + "q" * 80]


def test_corrupt_header_is_an_error():
    data = bytearray(sample(tarfile.PAX_FORMAT))
    data[0:4] = b"JUNK"
    with pytest.raises(TarFormatError):
        list(iter_headers(io.BytesIO(bytes(data))))


def test_truncated_member_is_an_error():
    data = sample(tarfile.GNU_FORMAT)
    with pytest.raises(TarFormatError):
        list(iter_headers(io.BytesIO(data[:1024])))


def test_members_give_their_data_and_skip_what_is_not_read():
    data = sample(tarfile.PAX_FORMAT)
    seen = {}
    for header, member in iter_members(io.BytesIO(data)):
        if header.name == "dir/file":
            seen[header.name] = member.read(10)  # the rest is skipped for us
        elif header.name.startswith("dir/caf"):
            seen[header.name] = member.read()
    assert seen == {"dir/file": b"x" * 10, "dir/caf\u00e9": b"z"}
