"""Every probe against real conditions on the sandbox daemon, each with a healthy counterpart.

One context is gathered over the whole host (other engineers' objects too), so
every assertion is about a named object of this run: the probe fires on the
one with the condition, with the right evidence, and not on its counterpart.
"""

from __future__ import annotations

import pytest

from tests.probes.conftest import about, evidence_text, findings


def _demo(demo, key):
    return f"{demo.prefix}{key}"


# probe id, object with the condition, expected severity, text the evidence must show, healthy counterpart
CONTAINER_CASES = [
    ("container.restart_loop", "crashloop", "error", ["RestartCount", "always", "fatal: /etc/worker.conf: no such file"], "web"),
    ("container.oom_killed", "oom", "error", ["State.OOMKilled|true", "137: killed by the kernel OOM killer", "16.8 MB"], "stopped"),
    ("container.start_failed", "badcmd", "error", ["State.Error", "/usr/local/bin/server", "127"], "stopped"),
    ("container.unhealthy", "unhealthy", "error", ["db:5432 connection refused"], "web"),
    ("container.no_healthcheck", "shop-db-1", "info", ["Config.Healthcheck|none", "unless-stopped"], "web"),
    ("container.no_memory_limit", "shop-db-1", "info", ["HostConfig.Memory|0"], "web"),
    ("container.paused", "paused", "warning", ["State.Status|paused"], "web"),
]


@pytest.mark.parametrize("probe_id, key, severity, shown, healthy", CONTAINER_CASES, ids=[c[0] for c in CONTAINER_CASES])
def test_container_probes_on_the_demo(context, demo, probe_id, key, severity, shown, healthy):
    found = findings(context, probe_id)
    hits = about(found, _demo(demo, key))
    assert len(hits) == 1, f"{probe_id} did not fire on {key}: {[f.object for f in found]}"
    assert hits[0].severity == severity
    text = evidence_text(hits[0])
    for expected in shown:
        assert expected in text, f"{expected!r} missing from the evidence of {probe_id}:\n{text}"
    assert _demo(demo, key) in hits[0].confirm
    assert about(found, _demo(demo, healthy)) == []


def test_exit_code_139_is_a_segfault_and_exit_zero_is_fine(context, demo, conditions):
    found = findings(context, "container.exit_code")
    hits = about(found, conditions.containers["segv"])
    assert len(hits) == 1 and hits[0].severity == "error"
    text = evidence_text(hits[0])
    assert "139: segmentation fault" in text and "about to crash" in text
    assert about(found, _demo(demo, "stopped")) == []
    assert about(found, _demo(demo, "oom")) == [], "OOM kills belong to container.oom_killed"
    assert about(found, _demo(demo, "badcmd")) == [], "start failures belong to container.start_failed"


def test_privileged_container(context, demo, conditions):
    found = findings(context, "container.privileged")
    hits = about(found, conditions.containers["privileged"])
    assert len(hits) == 1 and "HostConfig.Privileged|true" in evidence_text(hits[0])
    assert about(found, _demo(demo, "web")) == []


def test_socket_mounted_inside(context, demo, conditions):
    found = findings(context, "container.socket_mounted")
    hits = about(found, conditions.containers["sock"])
    assert len(hits) == 1
    assert f"{conditions.socket_file} -> /var/run/docker.sock" in evidence_text(hits[0])
    assert about(found, _demo(demo, "shop-db-1")) == []


def test_name_without_shared_network_on_the_default_bridge(context, conditions):
    found = findings(context, "network.name_without_shared_network")
    caller, callee = conditions.containers["caller"], conditions.containers["callee"]
    hits = [f for f in about(found, caller) if f.containers == (caller, callee)]
    assert len(hits) == 1
    text = evidence_text(hits[0])
    assert "no servers could be reached" in text and f"{caller}|networks|bridge" in text
    assert hits[0].severity == "error"
    assert callee in hits[0].fix and "docker network connect" in hits[0].fix
    assert about(found, conditions.containers["peer-a"]) == [], "peers on a shared user network resolve each other"


def test_none_network_publishing_ports(context, conditions):
    found = findings(context, "network.none_publishes_ports")
    hits = about(found, conditions.containers["nonepub"])
    assert len(hits) == 1
    assert "HostConfig.NetworkMode|none" in evidence_text(hits[0]) and "->80/tcp" in evidence_text(hits[0])
    assert about(found, conditions.containers["nonequiet"]) == []


def test_published_on_every_interface_versus_loopback(context, demo, conditions):
    found = findings(context, "network.published_all_interfaces")
    hits = about(found, conditions.containers["wide"])
    assert len(hits) == 1 and "0.0.0.0:" in evidence_text(hits[0])
    assert about(found, _demo(demo, "web")) == [], "web is published on 127.0.0.1 only"


def test_port_conflict_names_the_holder(context, demo, conditions):
    found = findings(context, "network.port_conflict")
    hits = about(found, conditions.containers["conflict"])
    assert len(hits) == 1
    assert hits[0].containers == (conditions.containers["conflict"], _demo(demo, "web"))
    assert f"port is already allocated" in evidence_text(hits[0])
    assert str(demo.web_port) in hits[0].summary
    assert not [f for f in found if f.object == _demo(demo, "web")]


def test_unused_network(context, demo, conditions):
    found = findings(context, "network.unused")
    assert len(about(found, conditions.unused_network)) == 1
    assert about(found, f"{demo.prefix}shop_default") == []
    assert about(found, "bridge") == []


def test_ip_forwarding_warning_of_the_sandbox(context):
    hits = findings(context, "network.ip_forwarding")
    assert len(hits) == 1 and "IPv4 forwarding is disabled" in evidence_text(hits[0])


def test_orphaned_volume_with_size(context, demo):
    found = findings(context, "volume.orphaned")
    hits = about(found, f"{demo.prefix}orphaned-data")
    assert len(hits) == 1 and "UsageData.Size|0 B" in evidence_text(hits[0])
    assert about(found, f"{demo.prefix}shop_dbdata") == []


def test_anonymous_volumes_pile_up(context, conditions):
    hits = findings(context, "volume.anonymous_pileup")
    assert len(hits) == 1
    loose = {v.name for v in context.snapshot.volumes if v.anonymous and v.orphaned}
    assert set(conditions.anonymous_volumes) <= loose
    assert hits[0].summary.startswith(f"{len(loose)} anonymous volumes are left behind")
    assert len(hits[0].evidence) == min(len(loose), 10)


def test_data_in_the_container_layer(context, demo, conditions):
    found = findings(context, "volume.data_in_container_layer")
    hits = about(found, conditions.containers["writer"])
    assert len(hits) == 1 and "SizeRw|12.0 MB" in evidence_text(hits[0])
    assert about(found, _demo(demo, "shop-db-1")) == [], "db writes into its volume"


def test_dangling_image(context, demo):
    hits = findings(context, "image.dangling")
    assert len(hits) == 1
    loose = [i for i in context.snapshot.images if i.dangling and not i.container_ids]
    assert demo.images["dangling"] in {i.id for i in loose}
    assert hits[0].summary.startswith(f"{len(loose)} dangling image(s)")
    listed = [e.object for e in hits[0].evidence]
    assert len(listed) == min(len(loose), 10) and len(set(listed)) == len(listed)


def test_poor_layer_efficiency(context, demo, conditions):
    found = findings(context, "image.poor_efficiency")
    hits = about(found, f"{demo.repo}/app:2")
    assert len(hits) == 1 and "wasted|3.0 MB" in evidence_text(hits[0])
    assert about(found, conditions.latest_tag) == [] and about(found, conditions.latest_tag.replace(":latest", ":1")) == []


def test_latest_and_untagged_images_in_use(context, demo, conditions):
    found = findings(context, "image.floating_tag_in_use")
    latest = about(found, conditions.containers["latest"])
    assert len(latest) == 1 and conditions.latest_tag in latest[0].summary
    by_id = about(found, conditions.containers["by-id"])
    assert len(by_id) == 1 and "untagged" in by_id[0].summary
    assert about(found, _demo(demo, "web")) == []


def test_pull_failure_from_the_daemon_log(context, conditions):
    hits = [f for f in findings(context, "registry.pull_failed") if f.object == conditions.pull_registry]
    assert len(hits) == 1
    assert "unreachable" in hits[0].summary
    assert "connection refused" in evidence_text(hits[0]) and hits[0].evidence[0].log_lines[0][0].startswith("20")


def test_registry_settings_of_the_sandbox_are_default(context):
    assert findings(context, "registry.insecure") == (), "127.0.0.0/8 is every daemon's default"
    assert findings(context, "registry.mirrors") == ()


def test_storage_healthy_on_the_sandbox(context):
    assert context.data_root is not None and context.data_root.free > 0
    assert findings(context, "storage.disk_space") == ()
    assert findings(context, "storage.driver") == ()


def test_log_without_rotation(context, demo, conditions):
    found = findings(context, "storage.log_rotation")
    hits = about(found, conditions.containers["unrotated"])
    assert len(hits) == 1
    assert "json-file {}" in evidence_text(hits[0]) and "LogPath size|" in evidence_text(hits[0])
    assert about(found, _demo(demo, "web")) == []


def test_daemon_warnings_leave_network_ones_to_the_network_probe(context):
    assert findings(context, "daemon.warnings") == ()


def test_daemon_log_errors_count_the_failed_starts(context, conditions):
    hits = findings(context, "daemon.log_errors")
    assert len(hits) == 1
    total = int(hits[0].summary.split("logged ", 1)[1].split(" ", 1)[0])
    assert total >= 3, "at least the demo's badcmd, the port conflict and the privileged container failed to start"
    assert all(line.startswith("error: ") for e in hits[0].evidence for _, line in e.log_lines)
    assert "images/create" not in evidence_text(hits[0]), "pull failures belong to registry.pull_failed"


def test_daemon_log_read(context):
    assert findings(context, "daemon.log_unread") == ()
