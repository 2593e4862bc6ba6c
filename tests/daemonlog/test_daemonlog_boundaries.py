"""The UI-free boundary, hostile log text, and journald followed through a real journalctl-shaped process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from dockscope.daemonlog import MemoryLines, discover, parse_line
from dockscope.daemonlog.sources import JournalFollower, probe_journald
from dockscope.panes.daemon_logs import record_text

UI_FREE = ("dockscope.daemonlog", "dockscope.engine.reachability", "dockscope.engine.relations", "dockscope.engine.ephemeral")


def test_core_modules_import_no_ui():
    code = "import sys\n" + "".join(f"import {m}\n" for m in UI_FREE) + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_hostile_log_line_shows_as_text():
    line = b'time="2026-11-28T00:00:00Z" level=error msg="\x1b]52;c;cHduZWQ=\x07[/][link=file:///etc/passwd]x[/link]\x1b[2J" k="\xe2\x80\xaeevil"'
    text = record_text(parse_line(line))
    assert "\x1b" not in text.plain and "\x07" not in text.plain and "\u202e" not in text.plain
    assert "[/][link=file:///etc/passwd]x[/link]" in text.plain
    assert "␛" in text.plain and "<U+202E>" in text.plain
    assert not any(getattr(span.style, "link", None) for span in text.spans)


def _fake_journalctl(tmp_path, entries: list[dict]) -> str:
    """A journalctl that prints entries as ``-o json`` does, then waits like ``-f``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    data = tmp_path / "entries.json"
    data.write_text("".join(json.dumps(e) + "\n" for e in entries))
    script = bin_dir / "journalctl"
    script.write_text(f'#!/bin/sh\ncat "{data}"\ncase " $* " in *" -f "*) exec sleep 30;; esac\n')
    script.chmod(0o755)
    return str(bin_dir)


def test_journald_is_found_and_followed(tmp_path, monkeypatch):
    entries = [
        {"MESSAGE": 'time="2026-11-28T01:00:00Z" level=info msg="API listen on /run/docker.sock"', "_SYSTEMD_UNIT": "docker.service"},
        {"MESSAGE": [116, 105, 109, 101, 61, 34, 116, 34, 32, 108, 101, 118, 101, 108, 61, 101, 114, 114, 111, 114, 32, 109, 115, 103, 61, 34, 255, 34]},
    ]
    monkeypatch.setenv("PATH", _fake_journalctl(tmp_path, entries) + os.pathsep + os.environ["PATH"])
    assert probe_journald("docker") is None
    found = discover(None, {}, home=str(tmp_path))
    assert (found.source.kind, found.source.location) == ("journald", "docker")
    lines = MemoryLines()
    follower = JournalFollower("docker", lines)
    reader = threading.Thread(target=follower.run, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while lines.line_count < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    follower.stop()
    reader.join(timeout=5)
    assert not reader.is_alive()
    first, second = (parse_line(line) for line in lines.lines(0, 2))
    assert (first.level, first.message) == ("info", "API listen on /run/docker.sock")
    assert (second.level, second.message) == ("error", "\\xff")
