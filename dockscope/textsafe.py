"""Make untrusted text from Docker safe to show in a terminal.

Container names, labels, env, commands, image history, network names and log
lines are written by whoever built or runs a container. This module turns any
such value into a plain string in which nothing can act on the terminal:

* C0/C1 control characters, DEL and ESC become visible (``␛``, ``<9b>`` ...),
  so a whole escape sequence shows as text instead of running.
* Bidi overrides/isolates, zero-width and other format characters, lone
  surrogates and line/paragraph separators become visible (``<U+202E>``).
* Runs of combining marks are capped so a "Zalgo" storm cannot smear a row.
* Invalid UTF-8 in bytes shows as ``\\xNN``.

It never parses markup and knows nothing of rich or textual; the UI wraps the
result in ``rich.text.Text`` (see ``dockscope.ui.text``).
"""

from __future__ import annotations

import re
import unicodedata

#: Unicode categories made visible: controls, format characters (bidi
#: embeddings/overrides/isolates, zero-width spaces and joiners, the BOM, soft
#: hyphen, tag characters), lone surrogates (a terminal write would fail on
#: them), and the line/paragraph separators.
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))

#: Categories of the marks that stack on the previous character.
_MARK_CATEGORIES = frozenset(("Mn", "Me"))

#: At most this many combining marks follow one base character.
MAX_COMBINING = 2

#: Longest string :func:`clean` returns before cutting (a cell never needs more).
DEFAULT_LIMIT = 4096

#: Longest log line kept (characters, before the ellipsis).
LOG_LINE_LIMIT = 16384

_SGR = re.compile(r"\x1b\[[0-9;:]*m")
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?      # OSC ... BEL/ST (title, clipboard, links)
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?         # DCS, SOS, PM, APC ... ST
    | \x1b\[[0-?]*[ -/]*[@-~]               # CSI (cursor, clear, queries, modes)
    | \x1b[ -/]*[0-~]                       # two-char escapes (ESC c, ESC 7 ...)
    | \x1b                                  # a lone ESC
    """,
    re.VERBOSE,
)


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Control Pictures block: ␀ ␁ ... ␛ ...
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= code <= 0x9F:
        return f"<{code:02x}>"
    return f"<U+{code:04X}>"


def _needs_care(char: str) -> bool:
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in _MARK_CATEGORIES or unicodedata.combining(char) > 0


def decode(data: bytes | str) -> str:
    """Decode bytes as UTF-8, showing each invalid byte as ``\\xNN``."""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="backslashreplace")


def clean(
    value: object,
    *,
    limit: int | None = DEFAULT_LIMIT,
    keep_newlines: bool = False,
    keep_tabs: bool = False,
) -> str:
    """Return ``value`` as a string that cannot act on a terminal.

    Args:
        value: Anything; bytes are decoded, ``None`` becomes ``""``.
        limit: Cut the result to this many characters (``None``: no cut).
        keep_newlines: Keep ``\\n`` as a line break (for multi-line views).
        keep_tabs: Keep ``\\t`` (it is expanded by the widget).

    Returns:
        The text with every control, escape, bidi and zero-width character
        made visible and combining-mark runs capped.
    """
    if value is None:
        return ""
    text = decode(value) if isinstance(value, (bytes, bytearray)) else str(value)
    if limit is not None and len(text) > limit * 2:
        text = text[: limit * 2]
    if not (text.isascii() and text.isprintable()):
        text = _made_visible(text, keep_newlines=keep_newlines, keep_tabs=keep_tabs)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _made_visible(text: str, *, keep_newlines: bool, keep_tabs: bool) -> str:
    """The slow path of :func:`clean`: look at every character."""
    out: list[str] = []
    marks = 0
    for char in text:
        if char == "\n" and keep_newlines or char == "\t" and keep_tabs:
            out.append(char)
            marks = 0
        elif " " <= char <= "~":
            out.append(char)
            marks = 0
        elif _needs_care(char):
            out.append(_visible(char))
            marks = 0
        elif _is_mark(char):
            marks += 1
            if marks <= MAX_COMBINING:
                out.append(char)
        else:
            marks = 0
            out.append(char)
    return "".join(out)


def strip_escapes(text: str, *, keep_sgr: bool) -> str:
    """Remove escape sequences from a log line, optionally keeping SGR colours.

    What remains still has to go through :func:`clean` (or, when SGR is kept,
    through the UI's ANSI parser, which only understands SGR and OSC 8; OSC is
    always removed here).
    """
    if not keep_sgr:
        return _ESCAPE_SEQUENCE.sub("", text)
    kept: list[str] = []
    position = 0
    for match in _ESCAPE_SEQUENCE.finditer(text):
        kept.append(text[position : match.start()])
        if _SGR.fullmatch(match.group()):
            kept.append(match.group())
        position = match.end()
    kept.append(text[position:])
    return "".join(kept)


def clean_log_line(line: bytes | str, *, keep_sgr: bool = False, limit: int | None = LOG_LINE_LIMIT) -> str:
    """Clean one log line: drop escape sequences (SGR optionally kept), show the rest.

    With ``keep_sgr`` the returned string still contains ``ESC[...m`` sequences
    and nothing else that a terminal would act on; it must only be handed to an
    SGR parser (``dockscope.ui.text.log_text``), never written raw. A huge line
    is cut before any work, so a 5 MB line costs no more than a long one.
    """
    if limit is not None and len(line) > limit * 4:
        line = line[: limit * 4]
    text = strip_escapes(decode(line).rstrip("\r\n"), keep_sgr=keep_sgr)
    if not keep_sgr:
        return clean(text, limit=limit, keep_tabs=True)
    parts: list[str] = []
    position = 0
    for match in _SGR.finditer(text):
        parts.append(clean(text[position : match.start()], limit=None, keep_tabs=True))
        parts.append(match.group())
        position = match.end()
    parts.append(clean(text[position:], limit=None, keep_tabs=True))
    result = "".join(parts)
    if limit is not None and len(result) > limit:
        result = _cut_outside_sgr(result, limit) + "…"
    return result


def _cut_outside_sgr(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters without leaving half an SGR sequence."""
    head = text[:limit]
    escape = head.rfind("\x1b")
    if escape >= 0 and not _SGR.match(head, escape):
        head = head[:escape]
    return head


#: ``scheme://user:password@``. Every part is bounded so the search stays linear:
#: an unbounded ``[a-z0-9]*://`` rescans a long run of letters from every
#: position, and a 5 MB value would take hours.
_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^/:@\s]{1,256}):[^@/\s]{1,1024}@")


def has_url_credentials(text: str) -> bool:
    """True when ``text`` holds a URL with a password (``scheme://user:password@host``)."""
    return "://" in text and _URL_CREDENTIALS.search(text) is not None


def mask_url_credentials(text: str) -> str:
    """Replace the password in ``scheme://user:password@host`` with ``***``."""
    if "://" not in text:
        return text
    return _URL_CREDENTIALS.sub(r"\g<head>:***@", text)
