"""Pure tests of stacking, wasted space, trees, history, sharing, diff and sizes."""

from __future__ import annotations

import hashlib

import pytest

from dockscope.layers.analysis import analyze, build_tree, layer_size
from dockscope.layers.diff import diff_images, summary_line
from dockscope.layers.history import attach_history, chain_ids, history_from_api, layer_sharing
from dockscope.layers.model import (
    ChangeKind,
    FileDelta,
    FileDifference,
    FileEntry,
    HistoryEntry,
    ImageAnalysis,
    Kind,
    Layer,
)
from dockscope.layers.sizes import format_size, parse_size


def f(path: str, size: int) -> FileEntry:
    return FileEntry(path, size, Kind.FILE, 0o644)


def d(path: str) -> FileEntry:
    return FileEntry(path, 0, Kind.DIR, 0o755)


def wh(path: str) -> FileEntry:
    return FileEntry(path, 0, Kind.WHITEOUT, 0)


def opaque(path: str) -> FileEntry:
    return FileEntry(path, 0, Kind.OPAQUE_DIR, 0o755)


def image(*layers: list[FileEntry], base_layers: int = 0, ref: str = "img") -> ImageAnalysis:
    built = []
    for index, entries in enumerate(layers):
        entries = tuple(sorted(entries, key=lambda e: e.path))
        diff_id = "sha256:" + hashlib.sha256(repr(entries).encode()).hexdigest()
        built.append(Layer(index, diff_id, "", layer_size(entries), f"step {index}", "", "", (), entries))
    chains = chain_ids([layer.diff_id for layer in built])
    built = [
        Layer(l.index, l.diff_id, chains[l.index], l.size, l.created_by, "", "", (), l.entries) for l in built
    ]
    return analyze(ref=ref, image_id=ref, tags=(), source="test", layers=built, base_layers=base_layers)


def test_overwrite_counts_every_hidden_copy_once():
    a = image([d("/x"), f("/x/a", 100)], [d("/x"), f("/x/a", 200)], [d("/x"), f("/x/a", 50)])
    assert a.efficiency.written_bytes == 350
    assert a.efficiency.final_bytes == 50
    assert a.efficiency.wasted_bytes == 300
    assert a.efficiency.score == pytest.approx(50 / 350)
    assert [(w.path, w.size, w.written_in, w.hidden_by) for w in a.wasted] == [("/x/a", 100, 0, 1), ("/x/a", 200, 1, 2)]
    top = a.top_wasted[0]
    assert (top.path, top.wasted_bytes, top.copies, top.layers) == ("/x/a", 300, 2, (0, 1))


def test_whiteout_of_a_directory_wastes_everything_under_it():
    a = image([d("/x"), d("/x/y"), f("/x/y/a", 10), f("/x/b", 20), f("/keep", 5)], [wh("/x")])
    assert a.efficiency.wasted_bytes == 30
    assert a.efficiency.final_bytes == 5
    assert [m.path for m in a.merged] == ["/keep"]
    removed = a.changes[1].of(ChangeKind.REMOVED)
    assert {c.path for c in removed} == {"/x", "/x/y", "/x/y/a", "/x/b"}
    assert a.changes[1].removed_bytes == 30


def test_opaque_directory_hides_the_lower_contents_but_keeps_its_own():
    a = image([d("/x"), f("/x/old", 70), d("/x/sub"), f("/x/sub/o", 30)], [opaque("/x"), f("/x/new", 4)])
    assert a.efficiency.wasted_bytes == 100
    assert a.efficiency.final_bytes == 4
    assert [(m.path, m.kind) for m in a.merged] == [("/x", Kind.DIR), ("/x/new", Kind.FILE)]


def test_a_file_replacing_a_directory_wastes_the_directory():
    a = image([d("/x"), f("/x/a", 10)], [f("/x", 3)])
    assert a.efficiency.wasted_bytes == 10
    assert a.changes[1].changes[0].change is ChangeKind.MODIFIED
    assert a.changes[1].changes[0].previous_size == 10


def test_whiteout_of_a_missing_path_changes_nothing():
    a = image([f("/a", 1)], [wh("/nope/deeper"), wh("/b")])
    assert a.efficiency.wasted_bytes == 0
    assert a.changes[1].changes == ()


def test_hardlinks_and_directories_cost_nothing_symlinks_cost_their_target():
    link = FileEntry("/l", 12, Kind.SYMLINK, 0o777)
    hard = FileEntry("/h", 0, Kind.HARDLINK, 0o644)
    a = image([d("/dir"), f("/f", 100), link, hard])
    assert a.layers[0].size == 112
    assert a.efficiency.final_bytes == 112


def test_written_is_final_plus_wasted_and_changes_are_classified():
    a = image(
        [d("/a"), f("/a/1", 10), f("/a/2", 20), f("/b", 30)],
        [d("/a"), f("/a/1", 15), wh("/b"), f("/c", 1)],
        [opaque("/a"), wh("/c")],
    )
    e = a.efficiency
    assert e.written_bytes == e.final_bytes + e.wasted_bytes == 76
    assert e.wasted_bytes == 76
    layer1 = a.changes[1]
    assert [(c.path, c.change) for c in layer1.changes] == [
        ("/a/1", ChangeKind.MODIFIED),
        ("/b", ChangeKind.REMOVED),
        ("/c", ChangeKind.ADDED),
    ]
    assert (layer1.added_bytes, layer1.modified_bytes, layer1.removed_bytes) == (1, 15, 30)


def test_efficiency_without_the_base_image():
    a = image(
        [d("/base"), f("/base/big", 1000), f("/base/lib", 500)],
        [f("/app", 100), wh("/base/lib")],
        [f("/app", 40)],
        base_layers=1,
    )
    assert a.efficiency.written_bytes == 1640
    assert a.efficiency.wasted_bytes == 600
    own = a.own_efficiency
    assert (own.written_bytes, own.final_bytes, own.wasted_bytes) == (140, 40, 100)
    assert a.base_bytes_hidden == 500


def test_empty_image_is_fully_efficient():
    assert image([]).efficiency.score == 1.0


def test_tree_totals_and_order():
    tree = build_tree([("/a", Kind.DIR, 0), ("/a/x", Kind.FILE, 5), ("/a/y", Kind.FILE, 7), ("/b", Kind.FILE, 100)])
    assert (tree.path, tree.size, tree.files) == ("/", 112, 3)
    assert [c.name for c in tree.children] == ["b", "a"]
    a = tree.children[1]
    assert (a.size, a.files, [c.name for c in a.children]) == (12, 2, ["y", "x"])


def test_tree_of_a_deep_path_needs_no_recursion():
    path = "/" + "/".join(["d"] * 3000)
    tree = build_tree([(path, Kind.FILE, 1)])
    assert tree.size == 1 and tree.files == 1


def test_chain_ids_follow_the_oci_definition():
    ids = ["sha256:aa", "sha256:bb"]
    expected = "sha256:" + hashlib.sha256(b"sha256:aa sha256:bb").hexdigest()
    assert chain_ids(ids) == ("sha256:aa", expected)


def test_sharing_finds_the_base_image_by_chain():
    mine = ["sha256:1", "sha256:2", "sha256:3"]
    others = {"base:1": ["sha256:1", "sha256:2"], "abcdef012345": ["sha256:1", "sha256:2"], "other:1": ["sha256:9"]}
    sharing = layer_sharing(mine, others)
    assert sharing.base_layers == 2
    assert sharing.base_image == "base:1"
    assert sharing.per_layer == (("base:1", "abcdef012345"), ("base:1", "abcdef012345"), ())
    # Same diff id at the same position on a different chain is not sharing.
    assert layer_sharing(["sha256:0", "sha256:2"], {"x": ["sha256:1", "sha256:2"]}).per_layer == ((), ())


def test_history_lines_attach_to_layers_skipping_empty_ones():
    history = [
        HistoryEntry("ARG x", empty_layer=True),
        HistoryEntry("COPY a"),
        HistoryEntry("ENV b", empty_layer=True),
        HistoryEntry("RUN c"),
        HistoryEntry("CMD d", empty_layer=True),
    ]
    attached = attach_history(history, 2)
    assert [(line.created_by, [m.created_by for m in meta]) for line, meta in attached] == [
        ("COPY a", ["ARG x", "ENV b"]),
        ("RUN c", ["CMD d"]),
    ]
    assert attach_history(history, 3)[2] == (None, ())


def test_history_from_the_api_guesses_empty_layers():
    newest_first = [
        {"CreatedBy": "/bin/sh -c #(nop)  CMD [\"sh\"]", "Size": 0, "Created": 2},
        {"CreatedBy": "/bin/sh -c true", "Size": 0, "Created": 2},
        {"CreatedBy": "/bin/sh -c #(nop)  ENV A=1", "Size": 0, "Created": 1},
        {"CreatedBy": "/bin/sh -c #(nop) COPY file:x in /", "Size": 10, "Created": 1},
    ]
    entries = history_from_api(newest_first, [10, 0])
    assert [e.empty_layer for e in entries] == [False, True, False, True]
    assert entries[0].created == "1970-01-01T00:00:01Z"


def test_diff_of_final_filesystems_and_layers():
    base = [d("/srv"), f("/srv/app", 100)]
    a = image(base, [d("/srv/cache"), f("/srv/cache/blob", 8_200_000), f("/srv/conf", 10), f("/srv/log", 50)], ref="a")
    b = image(base, [f("/srv/conf", 30), f("/srv/log", 5), f("/srv/new", 1)], ref="b")
    diff = diff_images(a, b)
    assert diff.shared_layers == 1
    assert [p.shared for p in diff.layers] == [True, False]
    assert [(x.path, x.delta) for x in diff.files] == [
        ("/srv/cache/blob", FileDelta.REMOVED),
        ("/srv/log", FileDelta.SHRUNK),
        ("/srv/conf", FileDelta.GROWN),
        ("/srv/new", FileDelta.ADDED),
    ]
    assert diff.size_delta == 36 - 8_200_060
    assert diff.summary == "B is 8.2 MB smaller; biggest win: /srv/cache/blob removed"


def test_summary_when_larger_equal_or_only_waste_changed():
    grown = (FileDifference("/x", FileDelta.ADDED, -1, 2_000_000),)
    assert summary_line(2_000_000, grown) == "B is 2.0 MB larger; biggest growth: /x added (2.0 MB)"
    assert summary_line(0, ()) == "A and B are the same size; no file differs"
    assert summary_line(-500, ()).startswith("B is 500 Bytes smaller; the difference is in overwritten")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20MB", 20_000_000), ("1.5GiB", 1_610_612_736), ("500k", 500_000), ("42", 42), ("3 KiB", 3072), (".5M", 500_000)],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "5x", "-1MB", "1.2.3"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_format_size():
    assert format_size(8_200_000) == "8.2 MB"
    assert format_size(-1000) == "-1.0 kB"
