"""Container logs: the multiplexed stream, whole lines, a bounded ring.

``/containers/{id}/logs`` of a container without a TTY is a sequence of
frames: an 8-byte header (stream type, three zero bytes, payload size as a
big-endian uint32) then the payload. Docker cuts a long line into frames of
at most 16 KiB; with ``timestamps=1`` every piece carries its own timestamp.
:class:`FrameDecoder` splits the bytes into frames, :class:`LineAssembler`
joins the pieces back into lines (dropping the timestamps of continuations),
caps a line's length and decodes invalid UTF-8 visibly. A container with a TTY
sends raw bytes (all on stdout) that are split on newlines.

:class:`LogRing` keeps the last N lines with rising sequence numbers; the
follower thread writes into a :class:`PendingLines` queue (bounded too) that
the UI drains a few times a second, so neither memory nor the message queue
grows with the output rate. Nothing here imports textual or rich.

The daemon writes every frame as its own HTTP chunk, so a fast writer sends
one chunk of about 90 bytes per line; read through http.client that is a
readline, a read and a CRLF read per line in Python. :class:`ChunkedDecoder`
undoes the chunked coding over whatever one socket read brings (often
dozens of lines), and a frame holding one whole line skips the partial-line
bookkeeping, so the reading thread holds the GIL a fraction as long and the
UI thread keeps answering keys.
"""

from __future__ import annotations

import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from dockscope.textsafe import clean_log_line

STREAMS = {0: "stdin", 1: "stdout", 2: "stderr"}
HEADER = struct.Struct(">BxxxL")
#: Longest line kept, in bytes; the rest is counted, not stored.
MAX_LINE_BYTES = 256 * 1024
#: Lines kept by default (the ring) and the default ``tail``.
DEFAULT_RING = 20_000
DEFAULT_TAIL = 1000
#: Drivers the daemon can read back without its local cache ("dual logging").
NATIVE_READ_DRIVERS = frozenset({"json-file", "local", "journald"})

_TIMESTAMP = re.compile(rb"^\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d) ")
_PLAIN = re.compile(r"[\x20-\x7e\t]*\Z")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One whole line of output, cleaned (no escape or control character acts)."""

    seq: int
    stream: str
    timestamp: str
    text: str
    cut_bytes: int = 0

    @property
    def display(self) -> str:
        """The text with a note when the line was too long to keep whole."""
        if not self.cut_bytes:
            return self.text
        return f"{self.text}… [{self.cut_bytes} more bytes not kept]"


class ChunkedDecoder:
    """Undo HTTP/1.1 chunked transfer coding over arbitrary pieces of the body.

    Pieces may cut anywhere; only whole chunks are returned, because a TTY
    stream has no frames and a chunk (one write of the daemon) is the only
    place where a timestamp can start. Chunk extensions are ignored and so is
    anything after the last (empty) chunk, when :attr:`finished` becomes true.

    Raises:
        ValueError: a size line is not hexadecimal (the body is not chunked).
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.finished = False

    def feed(self, data: bytes) -> list[bytes]:
        """The payloads of the chunks that ``data`` completes (possibly none)."""
        buffer = self._buffer
        buffer += data
        chunks: list[bytes] = []
        position = 0
        while not self.finished:
            end = buffer.find(b"\r\n", position)
            if end < 0:
                break
            size = int(bytes(buffer[position:end]).split(b";", 1)[0], 16)
            start = end + 2
            if size == 0:
                self.finished = True
                position = start
            elif len(buffer) >= start + size + 2:
                chunks.append(bytes(buffer[start : start + size]))
                position = start + size + 2
            else:
                break
        del buffer[:position]
        return chunks


class FrameDecoder:
    """Split the multiplexed log stream into ``(stream, payload)`` frames."""

    def __init__(self, multiplexed: bool = True) -> None:
        self.multiplexed = multiplexed
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        if not self.multiplexed:
            return [("stdout", bytes(data))] if data else []
        self._buffer += data
        frames: list[tuple[str, bytes]] = []
        position = 0
        while len(self._buffer) - position >= HEADER.size:
            kind, size = HEADER.unpack_from(self._buffer, position)
            end = position + HEADER.size + size
            if len(self._buffer) < end:
                break
            frames.append((STREAMS.get(kind, "stdout"), bytes(self._buffer[position + HEADER.size : end])))
            position = end
        del self._buffer[:position]
        return frames


def clean_text(raw: bytes) -> str:
    """Decode (invalid bytes shown as ``\\xNN``) and make every control visible; fast for plain ASCII."""
    text = raw.decode("utf-8", errors="backslashreplace").rstrip("\r")
    if _PLAIN.match(text):
        return text
    return clean_log_line(text, keep_sgr=False, limit=None)


class _Partial:
    __slots__ = ("timestamp", "data", "cut")

    def __init__(self, timestamp: str) -> None:
        self.timestamp = timestamp
        self.data = bytearray()
        self.cut = 0

    def add(self, piece: bytes, max_bytes: int) -> None:
        room = max_bytes - len(self.data)
        if room >= len(piece):
            self.data += piece
        else:
            self.data += piece[: max(room, 0)]
            self.cut += len(piece) - max(room, 0)


class LineAssembler:
    """Join frame payloads into whole lines, per stream.

    Args:
        timestamps: Payloads start with ``<RFC3339Nano> `` (``timestamps=1``).
        max_line_bytes: Longest line kept; longer ones are cut and say so.
        first_seq: Sequence number of the first line produced.
    """

    def __init__(self, timestamps: bool = True, max_line_bytes: int = MAX_LINE_BYTES, first_seq: int = 0) -> None:
        self.timestamps = timestamps
        self.max_line_bytes = max_line_bytes
        self._pending: dict[str, _Partial] = {}
        self._seq = first_seq

    def _split_timestamp(self, payload: bytes) -> tuple[str, bytes]:
        if self.timestamps:
            match = _TIMESTAMP.match(payload)
            if match:
                return match.group()[:-1].decode("ascii"), payload[match.end() :]
        return "", payload

    def _one_whole_line(self, body: bytes) -> bool:
        """The payload is exactly one line, short enough to keep whole (the usual frame)."""
        newline = body.find(b"\n")
        return newline >= 0 and newline == len(body) - 1 and len(body) <= self.max_line_bytes

    def _emit(self, stream: str, partial: _Partial) -> LogLine:
        line = LogLine(self._seq, stream, partial.timestamp, clean_text(bytes(partial.data)), partial.cut)
        self._seq += 1
        return line

    def feed(self, stream: str, payload: bytes) -> list[LogLine]:
        """Lines completed by this payload (a partial line waits for its continuation)."""
        timestamp, body = self._split_timestamp(payload)
        if stream not in self._pending and self._one_whole_line(body):
            line = LogLine(self._seq, stream, timestamp, clean_text(body[:-1]))
            self._seq += 1
            return [line]
        lines: list[LogLine] = []
        pieces = body.split(b"\n")
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            if last and not piece:
                break
            partial = self._pending.get(stream)
            if partial is None:
                partial = self._pending[stream] = _Partial(timestamp)
            partial.add(piece, self.max_line_bytes)
            if not last:
                lines.append(self._emit(stream, partial))
                del self._pending[stream]
        return lines

    @property
    def next_seq(self) -> int:
        return self._seq

    def flush(self) -> list[LogLine]:
        """Lines left without a final newline when the stream ends."""
        lines = [self._emit(stream, partial) for stream, partial in self._pending.items()]
        self._pending.clear()
        return lines


class LogRing:
    """The last ``maxlen`` lines, addressed by sequence number."""

    def __init__(self, maxlen: int = DEFAULT_RING) -> None:
        self.maxlen = maxlen
        self._lines: deque[LogLine] = deque(maxlen=maxlen)
        self.dropped = 0

    def extend(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            if len(self._lines) == self.maxlen:
                self.dropped += 1
            self._lines.append(line)

    def clear(self) -> None:
        self._lines.clear()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self._lines)

    @property
    def first_seq(self) -> int:
        return self._lines[0].seq if self._lines else 0

    def get(self, seq: int) -> LogLine | None:
        if not self._lines:
            return None
        index = seq - self._lines[0].seq
        if 0 <= index < len(self._lines):
            return self._lines[index]
        return None

    def index_of(self, seq: int) -> int:
        """Position of ``seq`` in the ring (clamped)."""
        return min(max(seq - self.first_seq, 0), max(len(self._lines) - 1, 0))

    def at(self, index: int) -> LogLine:
        return self._lines[index]


class PendingLines:
    """Lines handed from the reading thread to the UI; bounded, drained in batches."""

    def __init__(self, maxlen: int = DEFAULT_RING) -> None:
        self._lines: deque[LogLine] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.dropped = 0

    def put(self, lines: list[LogLine]) -> None:
        with self._lock:
            overflow = len(self._lines) + len(lines) - (self._lines.maxlen or 0)
            if overflow > 0:
                self.dropped += overflow
            self._lines.extend(lines)

    def drain(self) -> list[LogLine]:
        with self._lock:
            lines = list(self._lines)
            self._lines.clear()
            return lines


class LogStream:
    """One open ``/containers/{id}/logs`` response, iterated as frames and closable from any thread."""

    def __init__(self, client, container_id: str, *, tty: bool, follow: bool, tail: int | None, since: float | None) -> None:
        params: dict[str, object] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": int(follow),
            "tail": "all" if tail is None else str(tail),
        }
        if since is not None:
            params["since"] = f"{since:.9f}"
        response = client._get(client._url("/containers/{0}/logs", container_id), params=params, stream=True)
        client._raise_for_status(response)
        self._response = response
        self._tty = tty
        self._closed = False

    def chunks(self) -> Iterator[bytes]:
        """Raw bytes as they arrive (never waits for more than is available)."""
        raw = self._response.raw
        body = getattr(raw, "_fp", None)  # the http.client response under urllib3's
        if getattr(body, "chunked", False) and getattr(body, "chunk_left", 0) is None and hasattr(getattr(body, "fp", None), "read1"):
            yield from self._dechunked(body.fp)
            return
        yield from self._reads(raw)

    def _reads(self, source) -> Iterator[bytes]:
        """What each ``read1`` of ``source`` brings, until it ends or the stream is closed."""
        while not self._closed:
            try:
                data = source.read1(65536)
            except Exception:  # closed under us (close() from the UI thread) or the daemon went away
                return
            if not data:
                return
            yield data

    def _dechunked(self, socket_file) -> Iterator[bytes]:
        """The body of a chunked response read straight from its socket: all the frames each read brings, or a TTY's writes one by one."""
        decoder = ChunkedDecoder()
        for data in self._reads(socket_file):
            chunks = decoder.feed(data)
            if self._tty:
                yield from chunks
            elif chunks:
                yield b"".join(chunks)
            if decoder.finished:  # the body is whole: another read would wait on a kept-alive socket
                return

    def close(self) -> None:
        """Close the connection; a blocked read returns at once."""
        if self._closed:
            return
        self._closed = True
        from docker.types.daemon import CancellableStream

        try:
            CancellableStream(iter(()), self._response).close()
        except Exception:  # already closed, or a transport without a socket to shut
            self._response.close()


def read_lines(stream: LogStream, tty: bool, sink: Callable[[list[LogLine]], None], first_seq: int = 0) -> int:
    """Pump ``stream`` into ``sink`` line batch by batch; returns the next sequence number."""
    decoder = FrameDecoder(multiplexed=not tty)
    assembler = LineAssembler(timestamps=True, first_seq=first_seq)
    for chunk in stream.chunks():
        lines: list[LogLine] = []
        for kind, payload in decoder.feed(chunk):
            lines += assembler.feed(kind, payload)
        if lines:
            sink(lines)
    rest = assembler.flush()
    if rest:
        sink(rest)
    return assembler.next_seq


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: float | None = None) -> float | None:
    """``since`` as epoch seconds: ``10m``, ``2h``, ``90s``, ``1d``, or a date/time (UTC unless an offset is given).

    Raises:
        ValueError: the text is neither a duration nor a date.
    """
    text = text.strip()
    if not text:
        return None
    now = time.time() if now is None else now
    match = _DURATION.match(text)
    if match:
        return now - float(match.group(1)) * _UNIT[match.group(2)]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a duration (10m, 2h, 1d) or a date/time (2024-05-01T12:00): {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def timestamp_epoch(timestamp: str) -> float | None:
    """Epoch seconds of a log timestamp (RFC 3339 with nanoseconds, ``Z`` or an offset), fraction kept."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", timestamp)
    if match is None:
        return None
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    whole = datetime.fromisoformat(match.group(1) + zone).timestamp()
    return whole + float("0." + (match.group(2) or "0"))


def short_time(timestamp: str) -> str:
    """``2024-05-01T12:00:00.123456789Z`` -> ``2024-05-01 12:00:00.123``."""
    if len(timestamp) < 19:
        return timestamp
    return timestamp[:10] + " " + timestamp[11:23].rstrip(".")


def unreadable_reason(error: BaseException | str, driver: str) -> str | None:
    """Why the daemon refused to give logs back, in words (None: not a logging-driver refusal)."""
    text = str(error)
    if driver == "none":
        return "Logging is disabled for this container (log driver 'none'): Docker kept no output to show."
    if "does not support reading" in text or "configured logging driver" in text:
        return (
            f"This container logs with the '{driver or 'unknown'}' driver and the daemon cannot read those logs back "
            "(docker logs cannot either). Read them where that driver sends them, or use json-file/local."
        )
    return None


def empty_reason(*, state: str, driver: str, since: float | None, started_at: str, removed: bool = False) -> str:
    """Why a log view has no line to show."""
    if removed:
        return "The container was removed: its logs went with it."
    if driver == "none":
        return "Logging is disabled for this container (log driver 'none')."
    if state == "created" and started_at.startswith("0001-"):
        return "The container has never started, so it has no output yet."
    if since is not None:
        when = datetime.fromtimestamp(since, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"No output since {when} (the 'since' window); widen it with s."
    if driver and driver not in NATIVE_READ_DRIVERS:
        return f"No output read back from the '{driver}' driver (the daemon's local cache may be disabled or empty)."
    return "No output yet: the container has not written anything to stdout or stderr."
