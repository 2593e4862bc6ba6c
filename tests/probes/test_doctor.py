"""``dockscope doctor`` run for real (a subprocess on the sandbox daemon): JSON against its
schema, exit codes, --component, exclusions from the config file, cleaned text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import docker
import pytest

from dockscope.probes.doctor import SCHEMA_PATH, Exclusions, grade, score
from dockscope.probes.model import Finding
from tests.probes.conftest import SANDBOX_LOG, LOG_CONFIG
from tests.probes.schema_check import errors

SCHEMA = json.loads(SCHEMA_PATH.read_text())
HOSTILE = "\x1b]52;c;cHduZWQ=\x07 [/] \x1b[2J\u202eevil"


def doctor(docker_host: str, *args: str, home: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCKER_HOST": docker_host, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config"}
    env.pop("DOCKSCOPE_DAEMON_LOG", None)
    return subprocess.run(
        [sys.executable, "-m", "dockscope", "doctor", "--daemon-log", SANDBOX_LOG, *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def hostile(client, labels, demo):
    """A container whose command carries escape sequences: it fails to start, and
    State.Error and Config.Cmd (evidence of container.start_failed) repeat it."""
    name = f"{demo.prefix}p-hostile"
    created = client.create_container(f"{demo.repo}/app:2", [f"/bin/{HOSTILE}"], name=name, labels=labels,
                                      host_config=client.create_host_config(log_config=LOG_CONFIG))
    with pytest.raises(docker.errors.APIError):
        client.start(created["Id"])
    return name


@pytest.fixture(scope="module")
def report(docker_host, demo, conditions, hostile, tmp_path_factory):
    result = doctor(docker_host, "--json", "--fail-on", "info", home=str(tmp_path_factory.mktemp("home")))
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_json_report_follows_its_schema(report, demo):
    assert errors(report, SCHEMA) == []
    assert report["daemon_log"] == SANDBOX_LOG
    ids = {f["id"] for f in report["findings"]}
    assert {"container.oom_killed", "container.restart_loop", "image.dangling", "registry.pull_failed"} <= ids
    assert any(f["object"] == f"{demo.prefix}oom" for f in report["findings"])
    assert sum(report["counts"].values()) == len(report["findings"])
    assert report["score"] == score(_findings(report)) and report["grade"] == grade(report["score"])


def _findings(report):
    return [Finding(f["id"], f["severity"], f["component"], f["summary"], (), f["confirm"]) for f in report["findings"]]


def test_schema_checker_rejects_a_broken_report(report):
    broken = json.loads(json.dumps(report))
    broken["findings"][0]["severity"] = "fatal"
    del broken["score"]
    broken["extra"] = 1
    problems = errors(broken, SCHEMA)
    assert any("fatal" in p for p in problems) and any("'score'" in p for p in problems) and any("extra" in p for p in problems)


def test_text_report_is_grouped_and_cleaned(docker_host, demo, conditions, hostile, tmp_path):
    result = doctor(docker_host, "--fail-on", "error", "--no-layers", home=str(tmp_path))
    assert result.returncode == 1, "the demo has errors"
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "␛]52;c;cHduZWQ=␇ [/] ␛[2J<U+202E>evil" in out
    headings = [line.split(":")[0] for line in out.splitlines() if line.endswith(("ok", "finding(s)")) and line[:1].isupper()]
    assert headings == ["CLIENT", "DAEMON", "IMAGE", "REGISTRY", "CONTAINER", "NETWORK", "VOLUME", "STORAGE"]
    assert f"container.oom_killed: {demo.prefix}oom was killed" in out
    assert out.splitlines()[1].startswith("score ")


def test_component_filter_and_fail_on(docker_host, conditions, tmp_path):
    only_client = doctor(docker_host, "--json", "--component", "client", "--fail-on", "error", "--no-layers", home=str(tmp_path))
    assert only_client.returncode == 0, only_client.stdout
    assert {f["component"] for f in json.loads(only_client.stdout)["findings"]} <= {"client"}
    volumes = doctor(docker_host, "--json", "--component", "volume", "--fail-on", "info", "--no-layers", home=str(tmp_path))
    assert volumes.returncode == 1
    assert {f["component"] for f in json.loads(volumes.stdout)["findings"]} == {"volume"}


def test_exclusions_from_the_config_file(docker_host, demo, conditions, tmp_path):
    config = tmp_path / ".config" / "dockscope" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[doctor]\nexclude_probes = ["container.*", "registry.pull_failed"]\nexclude_objects = ["{demo.prefix}*"]\n')
    result = doctor(docker_host, "--json", "--fail-on", "info", "--no-layers", home=str(tmp_path))
    report = json.loads(result.stdout)
    assert errors(report, SCHEMA) == []
    assert report["excluded"] > 0
    for finding in report["findings"]:
        assert not finding["id"].startswith("container.") and finding["id"] != "registry.pull_failed"
        assert not any(name.startswith(demo.prefix) for name in [finding["object"], *finding["containers"]])
    explicit = doctor(docker_host, "--json", "--config", str(config), "--fail-on", "info", "--no-layers", home="/nonexistent")
    assert json.loads(explicit.stdout)["excluded"] > 0, "--config PATH is read instead of the default file"


def test_usage_and_connection_errors_exit_2(docker_host, tmp_path):
    assert doctor(docker_host, "--component", "kernel", home=str(tmp_path)).returncode == 2
    assert doctor(docker_host, "--fail-on", "fatal", home=str(tmp_path)).returncode == 2
    missing = doctor(docker_host, "--config", str(tmp_path / "none.toml"), home=str(tmp_path))
    assert missing.returncode == 2 and "not found" in missing.stderr
    (tmp_path / "bad.toml").write_text("[doctor]\nexclude_probes = 'container.*'\n")
    assert doctor(docker_host, "--config", str(tmp_path / "bad.toml"), home=str(tmp_path)).returncode == 2
    unreachable = doctor(f"unix://{tmp_path}/nobody.sock", home=str(tmp_path))
    assert unreachable.returncode == 2 and "Cannot use the Docker daemon" in unreachable.stderr


def test_exclusion_and_score_rules():
    finding = Finding("container.paused", "warning", "container", "x", (), "c", object="web", containers=("web", "db"))
    assert Exclusions(probes=("container.*",)).excludes(finding)
    assert Exclusions(objects=("db",)).excludes(finding)
    assert not Exclusions(probes=("network.*",), objects=("api",)).excludes(finding)
    errors_ = [Finding("container.oom_killed", "error", "container", "x", (), "c", object=str(i)) for i in range(5)]
    assert score(errors_) == 100 - 3 * 12, "at most three findings of one probe count"
    assert score([]) == 100 and grade(100) == "A" and grade(59) == "D" and grade(0) == "F"
