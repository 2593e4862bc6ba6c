"""Hostile text: one payload of each kind that can act on a terminal or a markup parser.

Each payload carries the marker ``ZQX`` so a test can tell that the value
really reached the screen (as visible text) and not only that nothing bad did.
"""

from __future__ import annotations

MARKER = "ZQX"

#: name -> hostile text (str). Bytes-only payloads are in :data:`BYTE_PAYLOADS`.
PAYLOADS: dict[str, str] = {
    "osc52_clipboard": "ZQX\x1b]52;c;WlFYUFdORUQ=\x07",
    "osc0_title": "ZQX\x1b]0;ZQX-TITLE0\x07",
    "osc2_title": "ZQX\x1b]2;ZQX-TITLE2\x1b\\",
    "osc8_link": "ZQX\x1b]8;;https://evil.invalid/\x1b\\click\x1b]8;;\x1b\\",
    "csi_clear": "ZQX\x1b[2J\x1b[3J\x1b[H",
    "csi_cursor": "ZQX\x1b[10;10H\x1b[5A\x1b[2K\x1b[s\x1b[u",
    "dsr_query": "ZQX\x1b[6n",
    "decrqss_query": "ZQX\x1bP$qm\x1b\\",
    "alt_screen": "ZQX\x1b[?1049l\x1b[?47l",
    "mouse_modes": "ZQX\x1b[?1000l\x1b[?1003h\x1b[?1006l",
    "c1_controls": "ZQX\x9b2J\x9d0;ZQX-C1TITLE\x9c\x90q\x9c\x85",
    "nul": "ZQX\x00after-nul",
    "markup_click": "ZQX[@click=app.quit]x[/]",
    "markup_close": "ZQX[/]",
    "markup_link": "ZQX[link=file:///etc/passwd]x[/link]",
    "unclosed_bracket": "ZQX[bold",
    "bidi_override": "ZQX\u202eevil\u202c\u2066iso\u2069\u200f",
    "zero_width": "ZQX\u200ba\u200db\ufeffc\u00ad\U000e0041",
    "combining_storm": "ZQX" + "Z" + "\u0301\u0308\u0330\u20dd\u0489" * 60,
    "wide_chars": "ZQX" + "全角文字🐳" * 20,
    "lone_surrogate": "ZQX\udcff",
    "line_separators": "ZQX\u2028\u2029\r\n\x0b\x0c",
}

#: Payloads that only exist as raw bytes (a log line, a file).
BYTE_PAYLOADS: dict[str, bytes] = {
    "invalid_utf8": b"ZQX\xff\xfe\xc3(\xed\xa0\x80\x9b2J",
    "c1_as_bytes": b"ZQX\xc2\x9b2J",
}

#: A 5 MB line (only where it does not slow down every list call on the shared daemon).
HUGE_LINE = "ZQX" + "A" * (5 * 1024 * 1024) + "\x1b]0;ZQX-HUGE\x07"

#: Byte sequences that must never reach the terminal from data.
FORBIDDEN: dict[str, bytes] = {
    "OSC 52 clipboard": b"\x1b]52",
    "OSC 8 link": b"\x1b]8;",
    "OSC 0 title from data": b"\x1b]0;ZQX",
    "OSC 2 title from data": b"\x1b]2;ZQX",
    "DSR query": b"\x1b[6n",
    "DCS (DECRQSS)": b"\x1bP",
    "NUL": b"\x00",
    "alternate screen off (47)": b"\x1b[?47l",
    "clear scrollback": b"\x1b[3J",
}


def all_text_payloads() -> dict[str, str]:
    """Every payload as text (bytes decoded the way a log line would be)."""
    payloads = dict(PAYLOADS)
    for name, data in BYTE_PAYLOADS.items():
        payloads[name] = data.decode("utf-8", errors="surrogateescape")
    return payloads


def log_bytes() -> bytes:
    """What the log container prints: the 5 MB line, then one payload per line (the tail shows them)."""
    lines = [HUGE_LINE.encode()]
    lines += [value.encode("utf-8", errors="surrogatepass") for value in PAYLOADS.values()]
    lines += list(BYTE_PAYLOADS.values())
    lines.append(b"ZQX-END-OF-PAYLOADS")
    return b"\n".join(lines) + b"\n"
