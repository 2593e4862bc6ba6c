"""A sparse line index over a log file: open 1 GB at once, read only what is shown.

The index keeps the byte offset of every :data:`STRIDE`-th line (about
150,000 integers for ten million lines), built chunk by chunk in a worker
thread. Reading line *n* reads one block of ``STRIDE`` lines with ``pread``;
recent blocks are kept in a small LRU. Search and level filters scan the file
in chunks of whole lines without ever holding it in memory.

:class:`MemoryLines` offers the same interface over lines held in memory (the
journald source), so the view does not care where lines come from.
"""

from __future__ import annotations

import os
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Protocol

#: One checkpoint every STRIDE lines.
STRIDE = 64
#: Bytes read per step while indexing or scanning.
CHUNK = 4 * 1024 * 1024
#: Blocks of STRIDE lines kept decoded in memory.
CACHED_BLOCKS = 256


def _never() -> None:
    """The default cancellation check: never cancels."""


class Matcher(Protocol):
    """Finds match offsets in a chunk of whole lines (see ``parse.LevelFilter``)."""

    def positions(self, chunk: bytes) -> list[int]: ...


class Lines(Protocol):
    """What the log view needs from a source of lines."""

    @property
    def line_count(self) -> int: ...

    @property
    def generation(self) -> int:
        """Rises when line numbers change meaning (file truncated or rotated, old lines dropped)."""
        ...

    def lines(self, start: int, count: int) -> list[bytes]: ...

    def search(self, needle: str, start: int, check: Callable[[], None] = _never) -> int | None: ...

    def scan(self, matcher: Matcher, start: int = 0, check: Callable[[], None] = _never) -> array: ...


class LineIndex:
    """Sparse offsets of the lines of one file; thread-safe for one writer and many readers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_RDONLY)
        self._checkpoints = array("Q", [0])
        self._lines = 0
        self._indexed_to = 0
        self._generation = 0
        #: (block number, lines in it) -> the block's lines; only full blocks are kept.
        self._blocks: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    @property
    def line_count(self) -> int:
        return self._lines

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def indexed_bytes(self) -> int:
        return self._indexed_to

    def file_size(self) -> int:
        return os.fstat(self._fd).st_size

    def changed(self) -> bool:
        """True when the file grew or shrank since the last :meth:`update`."""
        return self.file_size() != self._indexed_to

    def remaining_bytes(self) -> int:
        """Bytes written to the file and not indexed yet (a partial last line counts)."""
        return max(self.file_size() - self._indexed_to, 0)

    # ------------------------------------------------------------- indexing
    def _reset(self) -> None:
        with self._lock:
            self._checkpoints = array("Q", [0])
            self._lines = 0
            self._indexed_to = 0
            self._generation += 1
            self._blocks.clear()

    def update(self, max_bytes: int | None = None, check: Callable[[], None] = _never) -> int:
        """Index the whole lines written since the last call; returns how many were added.

        Args:
            max_bytes: Stop after about this many bytes (index a big file in steps,
                so the first lines show while the rest is read).
            check: Called between chunks; raise from it to cancel.

        A file that shrank was truncated or rotated: the index starts over.
        """
        if self.file_size() < self._indexed_to:
            self._reset()
        added = 0
        budget = max_bytes if max_bytes is not None else float("inf")
        while budget > 0:
            check()
            chunk = self._whole_lines_at(self._indexed_to)
            if not chunk:
                break
            added += self._add_chunk(chunk)
            budget -= len(chunk)
        return added

    def _whole_lines_at(self, offset: int) -> bytes:
        """The bytes from ``offset`` up to the last newline within a chunk (or beyond, for a huge line)."""
        data = os.pread(self._fd, CHUNK, offset)
        end = data.rfind(b"\n")
        while end < 0 and len(data) >= CHUNK:
            more = os.pread(self._fd, CHUNK, offset + len(data))
            if not more:
                break
            data += more
            end = data.rfind(b"\n")
        return data[: end + 1] if end >= 0 else b""

    def _add_chunk(self, chunk: bytes) -> int:
        parts = chunk.split(b"\n")
        count = len(parts) - 1
        starts = list(accumulate((len(p) + 1 for p in parts[:-1]), initial=self._indexed_to))[:count]
        first = (-self._lines) % STRIDE
        new_points = starts[first::STRIDE]
        with self._lock:
            if self._lines == 0 and new_points and new_points[0] == 0:
                new_points = new_points[1:]
            self._checkpoints.extend(new_points)
            self._lines += count
            self._indexed_to += len(chunk)
        return count

    # -------------------------------------------------------------- reading
    def lines(self, start: int, count: int) -> list[bytes]:
        """Lines ``start`` .. ``start + count - 1`` (fewer at the end), without their newline."""
        out: list[bytes] = []
        line = max(start, 0)
        end = min(start + count, self._lines)
        while line < end:
            block_no, within = divmod(line, STRIDE)
            block = self._block(block_no)
            take = block[within : within + (end - line)]
            if not take:
                break
            out.extend(take)
            line += len(take)
        return out

    def _block(self, block_no: int) -> list[bytes]:
        with self._lock:
            total = self._lines
            first = block_no * STRIDE
            size = min(STRIDE, total - first)
            key = (block_no, size)
            cached = self._blocks.get(key)
            if cached is not None:
                self._blocks.move_to_end(key)
                return cached
            begin = self._checkpoints[block_no]
            stop = self._checkpoints[block_no + 1] if block_no + 1 < len(self._checkpoints) else self._indexed_to
            data = os.pread(self._fd, stop - begin, begin)
            block = data.split(b"\n")[:size]
            if size == STRIDE:
                self._blocks[key] = block
                if len(self._blocks) > CACHED_BLOCKS:
                    self._blocks.popitem(last=False)
            return block

    # ------------------------------------------------------------- scanning
    def _chunks_from(self, start_line: int, check: Callable[[], None]) -> Iterator[tuple[int, bytes]]:
        """(number of the chunk's first line, chunk of whole lines) from ``start_line``'s block on."""
        with self._lock:
            block_no = min(max(start_line, 0) // STRIDE, len(self._checkpoints) - 1)
            offset = self._checkpoints[block_no]
            end = self._indexed_to
        line = block_no * STRIDE
        while offset < end:
            check()
            data = os.pread(self._fd, min(CHUNK, end - offset), offset)
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                data = os.pread(self._fd, end - offset, offset)
                cut = len(data)
            chunk = data[:cut]
            yield line, chunk
            line += chunk.count(b"\n")
            offset += cut

    def search(self, needle: str, start: int, check: Callable[[], None] = _never) -> int | None:
        """The first line at or after ``start`` containing ``needle`` (case-insensitive), wrapping once."""
        found = self._search_from(needle, start, check)
        if found is None and start > 0:
            found = self._search_from(needle, 0, check)
        return found

    def _search_from(self, needle: str, start: int, check: Callable[[], None]) -> int | None:
        wanted = needle.lower().encode()
        if not wanted:
            return None
        for first_line, chunk in self._chunks_from(start, check):
            lowered = chunk.lower()
            position = lowered.find(wanted)
            while position >= 0:
                line = first_line + lowered.count(b"\n", 0, position)
                if line >= start:
                    return line
                newline = lowered.find(b"\n", position)
                if newline < 0:
                    break
                position = lowered.find(wanted, newline + 1)
        return None

    def scan(self, matcher: Matcher, start: int = 0, check: Callable[[], None] = _never) -> array:
        """Numbers of the lines at or after ``start`` where ``matcher`` finds something."""
        found = array("I")
        for first_line, chunk in self._chunks_from(start, check):
            line, position = first_line, 0
            for offset in matcher.positions(chunk):
                line += chunk.count(b"\n", position, offset)
                position = offset
                if line >= start and (not found or found[-1] != line):
                    found.append(line)
        return found


class MemoryLines:
    """Lines held in memory (from journald), with the interface of :class:`LineIndex`.

    Keeps at most ``limit`` lines; when full, the oldest half is dropped.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self._lines: list[bytes] = []
        self._lock = threading.Lock()
        self.limit = limit
        self.dropped = 0

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def generation(self) -> int:
        return self.dropped

    def append(self, line: bytes) -> None:
        with self._lock:
            self._lines.append(line)
            if len(self._lines) > self.limit:
                half = len(self._lines) // 2
                del self._lines[:half]
                self.dropped += half

    def lines(self, start: int, count: int) -> list[bytes]:
        with self._lock:
            return self._lines[max(start, 0) : start + count]

    def search(self, needle: str, start: int, check: Callable[[], None] = _never) -> int | None:
        wanted = needle.lower().encode()
        with self._lock:
            snapshot = list(self._lines)
        order = list(range(max(start, 0), len(snapshot))) + list(range(0, min(start, len(snapshot))))
        return next((i for i in order if wanted and wanted in snapshot[i].lower()), None)

    def scan(self, matcher: Matcher, start: int = 0, check: Callable[[], None] = _never) -> array:
        with self._lock:
            snapshot = list(self._lines)
        return array("I", (i for i in range(max(start, 0), len(snapshot)) if matcher.positions(snapshot[i])))
