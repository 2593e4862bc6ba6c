"""``dockscope layers`` / ``dockscope diff`` as the main CLI will call them."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from dockscope.layers.cli import add_diff_arguments, add_layers_arguments, run_diff, run_layers


def parse(add, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dockscope")
    add(parser)
    return parser.parse_args(argv)


def layers(client, capsys, *argv: str) -> tuple[int, str, str]:
    code = run_layers(client, parse(add_layers_arguments, list(argv)))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.daemon
def test_layers_text(layers_client, images, capsys):
    code, out, _ = layers(layers_client, capsys, images.v1)
    assert code == 0
    assert "wasted 104.0 kB" in out
    assert "/data/big" in out
    assert "Above the base image: written 109.1 kB, final 5.1 kB, wasted 104.0 kB; efficiency 4.67%" in out


@pytest.mark.daemon
def test_layers_json(layers_client, images, capsys):
    code, out, _ = layers(layers_client, capsys, images.v1, "--json", "--source", "stream")
    document = json.loads(out)
    assert code == 0
    assert document["source"] == "stream"
    assert document["efficiency"]["wasted_bytes"] == 104_000
    assert document["efficiency_without_base"]["written_bytes"] == 109_100
    assert document["top_wasted"][0] == {"path": "/data/big", "wasted_bytes": 100_000, "copies": 1, "layers": [2]}
    assert [layer["removed"]["bytes"] for layer in document["layers"]] == [0, 0, 0, 101_000]
    assert "changes" not in document["layers"][0]


@pytest.mark.daemon
def test_layers_json_with_files(layers_client, images, capsys):
    code, out, _ = layers(layers_client, capsys, images.v1, "--json", "--files")
    changes = {c["path"]: c for c in json.loads(out)["layers"][3]["changes"]}
    assert code == 0
    assert changes["/data/big"] == {"path": "/data/big", "change": "removed", "kind": "file", "size": 0, "previous_size": 100_000}
    assert changes["/data/over"]["change"] == "modified"


@pytest.mark.daemon
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--ci"], 0),  # efficiency 95.0% >= the default 0.9
        (["--ci", "--min-efficiency", "0.9", "--max-wasted", "200kB"], 0),
        (["--ci", "--min-efficiency", "0.96"], 1),
        (["--ci", "--min-efficiency", "96%"], 1),
        (["--ci", "--max-wasted", "100k"], 1),
        (["--ci", "--exclude-base", "--min-efficiency", "0.5"], 1),
        (["--ci", "--json", "--max-wasted", "1MiB"], 0),
    ],
)
def test_ci_exit_codes(layers_client, images, capsys, argv, expected):
    code, out, _ = layers(layers_client, capsys, images.v1, *argv)
    assert code == expected
    if "--json" in argv:
        assert json.loads(out)["ci"] == {"passed": True, "reasons": []}
    else:
        assert ("CI: FAIL" if expected else "CI: PASS") in out


@pytest.mark.daemon
def test_ci_failure_gives_reasons(layers_client, images, capsys):
    code, out, _ = layers(layers_client, capsys, images.v1, "--ci", "--min-efficiency", "0.99", "--max-wasted", "20MB")
    assert code == 1
    assert "  - efficiency 95.03% is below 99.00%" in out
    assert "wasted space" not in out


@pytest.mark.daemon
def test_unknown_image_is_a_usage_error(layers_client, capsys):
    code, out, err = layers(layers_client, capsys, "dockscope-test-layers/nothing:here")
    assert code == 2
    assert out == ""
    assert "no such image: dockscope-test-layers/nothing:here" in err


@pytest.mark.parametrize(("argv", "message"), [(["--max-wasted", "20MB"], "need --ci"), (["--exclude-base"], "need --ci"), (["--files"], "needs --json")])
def test_options_that_need_another_are_usage_errors(capsys, argv, message):
    code, out, err = layers(None, capsys, "any-image", *argv)
    assert (code, out) == (2, "")
    assert message in err


@pytest.mark.parametrize("argv", [["x", "--max-wasted", "lots"], ["x", "--min-efficiency", "2"], ["x", "--source", "ftp"]])
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as exit_info:
        parse(add_layers_arguments, argv)
    assert exit_info.value.code == 2


@pytest.mark.daemon
def test_diff_text_and_json(layers_client, images, capsys):
    args = parse(add_diff_arguments, [images.v1, images.v2])
    assert run_diff(layers_client, args) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == "B is 86.0 kB smaller; biggest win: /data/over shrank by 2.0 kB"
    assert "Layers: 2 shared (=), then 2 differ" in out
    args = parse(add_diff_arguments, [images.v1, images.v2, "--json"])
    assert run_diff(layers_client, args) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["shared_layers"] == 2
    assert document["files"][0] == {"path": "/data/new", "change": "added", "size_a": -1, "size_b": 20_000, "delta": 20_000}


@pytest.mark.daemon
def test_diff_unknown_image(layers_client, images, capsys):
    args = parse(add_diff_arguments, [images.v1, "dockscope-test-layers/nothing:here"])
    assert run_diff(layers_client, args) == 2


@pytest.mark.daemon
def test_escape_sequences_from_the_image_are_made_visible(layers_client, hostile_image, capsys):
    code, out, _ = layers(layers_client, capsys, hostile_image)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "[2Jx" in out  # the wasted file, with its ESC shown
    code, out, _ = layers(layers_client, capsys, hostile_image, "--json")
    assert "\x1b" not in out and "\x07" not in out
    assert any("\x1b" in f["path"] for f in json.loads(out)["top_wasted"])


def test_the_package_imports_no_ui():
    code = (
        "import sys, dockscope.layers, dockscope.layers.cli, dockscope.layers.source, dockscope.layers.report;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
