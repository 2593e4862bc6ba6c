"""Volume users, orphans and anonymous volumes in the snapshot; writes outside volumes, for real."""

from __future__ import annotations

from dockscope.engine.ephemeral import bind_mounts, check_container, places, written_outside


def test_users_orphans_and_anonymous(vollab, vol_snapshot):
    volumes = vol_snapshot.volume_by_name
    assert volumes[vollab.volumes["used"]].container_ids == (vollab.containers["keeper"],)
    assert volumes[vollab.volumes["stopped-user"]].container_ids == (vollab.containers["idle"],)
    assert not volumes[vollab.volumes["stopped-user"]].orphaned, "a stopped user still counts"
    assert volumes[vollab.volumes["orphan"]].orphaned
    assert volumes[vollab.volumes["anonymous"]].anonymous
    assert not volumes[vollab.volumes["used"]].anonymous
    binds = bind_mounts(vol_snapshot.containers)[vollab.containers["keeper"]]
    assert binds == ((vollab.bind_source, "/config", False),)


def test_writer_outside_any_volume_is_found_and_growing(client, vollab, vol_snapshot):
    writer = vol_snapshot.container_by_id[vollab.containers["writer"]]
    report = check_container(client, writer, interval=1.0)
    assert report is not None
    assert report.growing, report
    assert ("/srv/appdata", 1) in report.places
    assert "/srv/appdata" in report.summary()


def test_writer_into_its_volume_is_not_reported(client, vollab, vol_snapshot):
    keeper = vol_snapshot.container_by_id[vollab.containers["keeper"]]
    assert check_container(client, keeper, interval=0.5) is None


def test_written_outside_keeps_leaves_and_skips_mounts():
    changes = [("/srv", 0), ("/srv/a", 1), ("/srv/a/b.log", 1), ("/data", 0), ("/data/x", 1), ("/tmp", 0), ("/tmp/t", 1), ("/gone", 2), ("/dev/null", 0)]
    assert written_outside(["/data"], changes) == ("/srv/a/b.log", "/tmp/t")
    assert places(["/srv/a/b.log", "/srv/a/c.log", "/tmp/t"]) == (("/srv/a", 2), ("/tmp", 1))
