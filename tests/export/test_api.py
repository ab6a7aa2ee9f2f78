"""The export package's public API: __all__ is exactly what it exports, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import threadsmith.export as export_package


def test_all_matches_public_names() -> None:
    public = {n for n in dir(export_package) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(export_package, n)).__name__ == "module"}
    assert set(export_package.__all__) == public - modules
    assert export_package.__all__ == sorted(export_package.__all__, key=lambda n: (n.islower(), n))


def test_import_stays_light() -> None:
    code = ("import sys, threadsmith.export, threadsmith.workspace, threadsmith.cli\n"
            "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets', 'pyarrow') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)
