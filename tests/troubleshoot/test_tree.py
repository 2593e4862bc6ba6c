"""The symptom tree: its shape, every probe it names exists, and every path runs headless."""

from __future__ import annotations

import itertools
import string

import pytest

from dockscope.probes import COMPONENTS, load_probes
from dockscope.troubleshoot import SYMPTOMS, AnswerError, run_symptom, symptom

REQUIRED = {
    "a container keeps restarting", "a container exits right after start", "i can't reach my app from the host",
    "containers can't talk to each other", "my image is huge / builds are slow", "my data disappeared after a restart",
    "the disk is full", "docker commands fail or hang", "pulling an image fails", "a container is slow or uses too much",
}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_issue_symptoms_are_all_there():
    assert {s.title.lower() for s in SYMPTOMS} >= REQUIRED
    assert len({s.id for s in SYMPTOMS}) == len(SYMPTOMS)


@pytest.mark.parametrize("spec", SYMPTOMS, ids=lambda s: s.id)
def test_every_probe_named_exists_and_commands_use_only_answers(spec):
    probes = load_probes()
    checks = list(spec.checks) + [c for q in spec.questions for choice in q.choices for c in choice.checks]
    missing = [c for c in checks if c not in probes]
    assert missing == [], f"{spec.id} names unknown probes {missing}"
    assert spec.component in COMPONENTS
    container_questions = {q.id for q in spec.questions if q.kind in ("container", "image")}
    templates = list(spec.commands) + [c for q in spec.questions for choice in q.choices for c in choice.commands]
    for template in templates:
        assert _placeholders(template) <= container_questions, f"{spec.id}: {template!r}"
    for question in spec.questions:
        assert (question.kind == "choice") == bool(question.choices)
        assert all(choice.component in ("", *COMPONENTS) for choice in question.choices)
    every_path_checks = all(spec.checks or choice.checks for q in spec.questions for choice in q.choices) or spec.checks
    assert every_path_checks, f"{spec.id} has a path that checks nothing"


def _paths(spec, demo):
    """Every combination of answers: containers from the demo, every choice of every choice question."""
    picks = {"container": [demo.containers["crashloop"]], "first": [demo.containers["web"]],
             "second": [demo.containers["shop-db-1"]], "image": [demo.images["app2"]]}
    options = [[c.id for c in q.choices] if q.kind == "choice" else picks[q.id] for q in spec.questions]
    for combination in itertools.product(*options):
        yield dict(zip((q.id for q in spec.questions), combination))


def test_walk_every_path_headless(demo_context, demo):
    walked = 0
    for spec in SYMPTOMS:
        for answers in _paths(spec, demo):
            diagnosis = run_symptom(spec.id, demo_context, answers)
            walked += 1
            assert diagnosis.errors == ()
            assert diagnosis.component in COMPONENTS
            assert set(spec.checks) <= set(diagnosis.checks)
            assert {f.id for f in diagnosis.findings} <= set(diagnosis.checks)
            assert diagnosis.commands and not any(_placeholders(c.replace("{{", "").replace("}}", "")) for c in diagnosis.commands)
    assert walked == sum(len(list(_paths(s, demo))) for s in SYMPTOMS) >= 12


def test_restart_loop_points_at_the_container_with_evidence(demo_context, demo):
    crashloop = f"{demo.prefix}crashloop"
    diagnosis = run_symptom("restarting", demo_context, {"container": crashloop})
    assert diagnosis.component == "container"
    assert "container.restart_loop" in {f.id for f in diagnosis.findings}
    assert all(not f.containers or f.containers == (crashloop,) for f in diagnosis.findings)
    facts = {f.field: f for f in diagnosis.facts}
    assert facts["ExitCode"].observed.startswith("1: application error")
    assert any("fatal: /etc/worker.conf" in line for _, line in facts["last log lines"].log_lines)
    assert f"docker logs --tail 50 {crashloop}" in diagnosis.commands


def test_oom_container_highlights_container_and_names_the_kill(demo_context, demo):
    diagnosis = run_symptom("exits_at_start", demo_context, {"container": demo.containers["oom"]})
    assert [f.id for f in diagnosis.findings if f.severity == "error"] == ["container.oom_killed"]
    assert any(f.field == "ExitCode" and "OOM killer" in f.observed for f in diagnosis.facts)


def test_two_containers_without_a_shared_network(demo_context, demo):
    diagnosis = run_symptom("containers_cant_talk", demo_context, {"first": f"{demo.prefix}web", "second": f"{demo.prefix}shop-db-1"})
    assert diagnosis.component == "network"
    pair = diagnosis.facts[0]
    assert pair.field == "shared user-defined networks" and pair.observed == "none"
    assert f"docker exec {demo.prefix}web nslookup {demo.prefix}shop-db-1" in diagnosis.commands
    together = run_symptom("containers_cant_talk", demo_context, {"first": f"{demo.prefix}shop-api-1", "second": f"{demo.prefix}shop-db-1"})
    assert together.facts[0].observed == f"{demo.prefix}shop_default"


def test_failed_pull_points_at_the_registry(demo_context, failed_pull):
    diagnosis = run_symptom("pull_fails", demo_context, {})
    assert diagnosis.component == "registry"
    pulls = [f for f in diagnosis.findings if f.id == "registry.pull_failed" and f.object == failed_pull]
    assert pulls and "unreachable" in pulls[0].summary


def test_choices_change_the_component_and_checks(demo_context, demo):
    app2 = f"{demo.repo}/app:2"
    huge = run_symptom("image_huge", demo_context, {"image": app2, "which": "huge"})
    slow = run_symptom("image_huge", demo_context, {"image": app2, "which": "slow"})
    assert "image.poor_efficiency" in huge.checks and "storage.driver" not in huge.checks
    assert "storage.driver" in slow.checks and "image.poor_efficiency" not in slow.checks
    assert huge.component == "image"
    assert [f.object for f in huge.findings if f.id == "image.poor_efficiency"] == [app2]
    assert f"dockscope layers {app2}" in huge.commands
    assert any(f.field == "layer efficiency" and f.observed.startswith("43.") for f in huge.facts)
    other = run_symptom("image_huge", demo_context, {"image": f"{demo.repo}/base:1", "which": "huge"})
    assert not [f for f in other.findings if f.id == "image.poor_efficiency"], "findings about another image are left out"
    hang = run_symptom("commands_fail", demo_context, {"how": "hang"})
    fail = run_symptom("commands_fail", demo_context, {"how": "fail"})
    assert "daemon.log_errors" in hang.checks and "daemon.log_errors" not in fail.checks
    assert fail.component == "client"


def test_host_wide_symptoms_show_host_facts(demo_context):
    disk = run_symptom("disk_full", demo_context, {})
    fields = {f.field: f.observed for f in disk.facts}
    assert demo_context.data_root is not None and fields["free"].endswith(f"({demo_context.data_root.free_ratio:.0%})")
    assert {"images", "containers", "volumes", "build cache"} <= set(fields)
    hang = run_symptom("commands_fail", demo_context, {"how": "hang"})
    fields = {f.field: f.observed for f in hang.facts}
    assert fields["endpoint"].startswith(demo_context.snapshot.endpoint.display) and fields["source"] == demo_context.daemon_log_source
    pull = run_symptom("pull_fails", demo_context, {})
    assert {f.field for f in pull.facts} >= {"IndexServerAddress", "Mirrors", "logged in to"}


def test_wrong_answers_are_refused(demo_context):
    with pytest.raises(AnswerError):
        run_symptom("restarting", demo_context, {})
    with pytest.raises(AnswerError):
        run_symptom("restarting", demo_context, {"container": "no-such-container-anywhere"})
    with pytest.raises(AnswerError):
        run_symptom("commands_fail", demo_context, {"how": "explode"})
    with pytest.raises(KeyError):
        symptom("unknown")
