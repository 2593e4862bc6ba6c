"""Parsing one ``/events`` answer and reading a ``die`` event's exit code (shared by the detail view and the probes)."""

from __future__ import annotations

from dockscope.engine.events import die_exit_code, parse_event


def event(action: str, **attributes: str) -> dict:
    return {"Type": "container", "Action": action, "Actor": {"ID": "c" * 64, "Attributes": attributes}, "time": 1764331200, "timeNano": 1764331200123456789}


def test_a_die_event_carries_the_exit_code() -> None:
    died = parse_event(event("die", exitCode="137", name="web"))
    assert die_exit_code(died) == 137
    assert died.actor_id == "c" * 64 and died.name == "web" and died.time == 1764331200.123456789


def test_other_events_and_unreadable_codes_have_none() -> None:
    assert die_exit_code(parse_event(event("start", exitCode="0"))) is None
    assert die_exit_code(parse_event(event("die"))) is None
    assert die_exit_code(parse_event(event("die", exitCode="-1"))) is None
    assert die_exit_code(parse_event(event("die", exitCode="1\x1b[2J"))) is None
    assert die_exit_code(parse_event({"status": "die", "id": "x", "Actor": {"Attributes": None}})) is None
