"""Reachability answers on real containers: shared, default bridge, unshared, none, internal, stopped."""

from __future__ import annotations

from dockscope.engine.reachability import aliases_from_inspect, can_reach


def _ask(lab, snapshot, a: str, b: str, aliases=None):
    return can_reach(snapshot, lab.containers[a], lab.containers[b], aliases)


def test_lab_networks_have_their_subnets_and_members(netlab, lab_snapshot):
    by_name = {n.name: n for n in lab_snapshot.networks}
    user = by_name[netlab.name("user")]
    assert user.subnets[0].subnet == netlab.subnets["user"]
    assert user.subnets[0].gateway == netlab.gateways["user"]
    assert set(user.container_ids) == {netlab.containers[k] for k in ("a", "b", "s")}
    assert by_name[netlab.name("internal")].internal
    assert by_name[netlab.name("unused")].unused


def test_shared_user_network_resolves_names(netlab, lab_snapshot, client):
    b = netlab.containers["b"]
    answer = _ask(netlab, lab_snapshot, "a", "b", {b: aliases_from_inspect(client.inspect_container(b))})
    assert answer.verdict == "yes"
    (shared,) = answer.shared
    assert shared.name == netlab.name("user")
    assert shared.name_resolution
    assert shared.target_ip.startswith(netlab.subnets["user"].rsplit(".", 1)[0] + ".")
    assert {"beta", "db"} <= set(shared.target_aliases)
    assert "by name" in " ".join(answer.reasons)


def test_default_bridge_is_ip_only(netlab, lab_snapshot):
    answer = _ask(netlab, lab_snapshot, "c", "d")
    assert answer.verdict == "yes"
    assert [s.name for s in answer.shared] == ["bridge"]
    assert not answer.shared[0].name_resolution
    assert "no name resolution" in " ".join(answer.reasons)
    assert "docker network create" in answer.fix


def test_no_common_network_gives_the_connect_command(netlab, lab_snapshot):
    answer = _ask(netlab, lab_snapshot, "a", "e")
    assert answer.verdict == "no"
    assert answer.reasons[0].startswith("no common network")
    assert answer.fix == f"docker network connect {netlab.name('other')} {netlab.name('a')}"


def test_none_network_is_isolated(netlab, lab_snapshot):
    for a, b in (("f", "a"), ("a", "f")):
        answer = _ask(netlab, lab_snapshot, a, b)
        assert answer.verdict == "no"
        assert "--network none" in answer.reasons[0]


def test_internal_network_members_reach_each_other_but_not_out(netlab, lab_snapshot):
    inside = _ask(netlab, lab_snapshot, "g", "h")
    assert inside.verdict == "yes"
    assert inside.shared[0].internal
    assert any("internal" in r and "outside" in r for r in inside.reasons)
    out = _ask(netlab, lab_snapshot, "g", "a")
    assert out.verdict == "no"
    assert any("only on internal networks" in r for r in out.reasons)


def test_stopped_container_cannot_be_reached(netlab, lab_snapshot):
    answer = _ask(netlab, lab_snapshot, "a", "s")
    assert answer.verdict == "no"
    assert "is created" in answer.reasons[0] or "is exited" in answer.reasons[0]
    assert answer.fix == f"docker start {netlab.name('s')}"


def test_unknown_container(netlab, lab_snapshot):
    answer = can_reach(lab_snapshot, netlab.containers["a"], "0" * 64)
    assert answer.verdict == "no"
    assert "does not exist" in answer.reasons[0]
