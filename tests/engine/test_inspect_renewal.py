"""When a full poll inspects a container again: its list entry's status line, read without the clock's ticking."""

from __future__ import annotations

import pytest

from dockscope.engine.session import entry_changed, status_parts


@pytest.mark.parametrize(
    ("status", "shape", "seconds"),
    [
        ("Up Less than a second", "Up _", 0),
        ("Up 1 second", "Up _", 1),
        ("Up 42 seconds (health: starting)", "Up _ (health: starting)", 42),
        ("Up About a minute (healthy)", "Up _ (healthy)", 60),
        ("Up 17 minutes (Paused)", "Up _ (Paused)", 17 * 60),
        ("Up About an hour", "Up _", 3600),
        ("Up 3 days (unhealthy)", "Up _ (unhealthy)", 3 * 86400),
        ("Up 2 weeks", "Up _", 14 * 86400),
        ("Up 5 months", "Up _", 150 * 86400),
        ("Up 2 years", "Up _", 730 * 86400),
        ("Exited (137) 5 minutes ago", "Exited (137) _ ago", 300),
        ("Restarting (1) Less than a second ago", "Restarting (1) _ ago", 0),
        ("Created", "Created", None),
        ("Exited", "Exited", None),
        ("Removal In Progress", "Removal In Progress", None),
        ("", "", None),
        (None, "", None),
    ],
)
def test_status_parts(status, shape, seconds) -> None:
    assert status_parts(status) == (shape, seconds)


def test_the_minutes_ticking_is_no_change() -> None:
    assert not entry_changed(("running", "Up 17 minutes"), ("running", "Up 18 minutes"))
    assert not entry_changed(("running", "Up 59 minutes"), ("running", "Up About an hour"))
    assert not entry_changed(("running", "Up 47 hours"), ("running", "Up 2 days"))
    assert not entry_changed(("exited", "Exited (0) 3 minutes ago"), ("exited", "Exited (0) 4 minutes ago"))


def test_what_the_status_line_says_beyond_time_is_a_change() -> None:
    assert entry_changed(("running", "Up 2 hours"), ("running", "Up 3 seconds")), "restarted: uptime shrank"
    assert entry_changed(("exited", "Exited (0) 2 hours ago"), ("exited", "Exited (0) 1 second ago")), "ran and exited again"
    assert entry_changed(("running", "Up 5 minutes (healthy)"), ("running", "Up 5 minutes (unhealthy)"))
    assert entry_changed(("running", "Up 5 minutes"), ("paused", "Up 5 minutes (Paused)"))
    assert entry_changed(("exited", "Exited (0) 1 minute ago"), ("exited", "Exited (1) 2 minutes ago"))
    assert entry_changed(("restarting", "Restarting (1) 2 seconds ago"), ("running", "Up 1 second"))
    assert entry_changed(None, ("running", "Up 1 second"))
    assert entry_changed(("running", "Up 1 second"), None)
    assert not entry_changed(None, None)
