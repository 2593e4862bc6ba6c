"""The layers that know nothing of the screen never import textual or rich."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_FREE_PACKAGES = ("dockscope.engine", "dockscope.layers", "dockscope.probes", "dockscope.troubleshoot", "dockscope.daemonlog")
UI_FREE_MODULES = ("dockscope.textsafe", "dockscope.demo", "dockscope.cli")

PROGRAM = """
import importlib, pkgutil, sys
loaded = []
for name in sys.argv[2:]:
    loaded.append(name)
    importlib.import_module(name)
for name in sys.argv[1].split(","):
    package = importlib.import_module(name)
    loaded.append(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(info.name)
        loaded.append(info.name)
ui = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(len(loaded), ",".join(ui))
"""


def test_core_packages_import_without_textual_or_rich():
    packages = [p for p in UI_FREE_PACKAGES if (ROOT / p.replace(".", "/")).is_dir()]
    assert "dockscope.engine" in packages
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, ",".join(packages), *UI_FREE_MODULES],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    count, ui_modules = result.stdout.strip().split(" ", 1) if " " in result.stdout.strip() else (result.stdout.strip(), "")
    assert int(count) >= 10
    assert ui_modules == "", f"UI modules imported by the core: {ui_modules}"


def test_dockscope_help_does_not_load_textual():
    program = "import sys\nfrom dockscope.cli import build_parser\nbuild_parser()\nprint('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"
