"""Byte sizes: parse what people type, print what people read."""

from __future__ import annotations

import re

import humanize

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "ki": 1024,
    "kib": 1024,
    "mi": 1024**2,
    "mib": 1024**2,
    "gi": 1024**3,
    "gib": 1024**3,
    "ti": 1024**4,
    "tib": 1024**4,
}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """``"20MB"`` -> 20000000, ``"1.5GiB"``, ``"500k"``, ``"42"`` (bytes).

    Decimal units (k, MB, G ...) are powers of 1000, binary ones (KiB, Mi ...)
    powers of 1024, as ``humanize.naturalsize`` prints them.

    Raises:
        ValueError: Not a size.
    """
    match = _SIZE.match(text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (try 20MB, 1.5GiB, 500k)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(count: int) -> str:
    """``8200000`` -> ``"8.2 MB"``; negative counts keep their sign."""
    text = humanize.naturalsize(abs(count))
    return f"-{text}" if count < 0 else text
