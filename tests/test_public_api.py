"""The public API is small and explicit: __all__ is exactly what the package exports."""

import subprocess
import sys

import threadsmith


def test_all_matches_public_names() -> None:
    public = {name for name in dir(threadsmith) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(threadsmith, name)).__name__ == "module"}
    assert set(threadsmith.__all__) - {"__version__"} == public - modules
    assert threadsmith.__all__ == sorted(threadsmith.__all__, key=lambda n: (n.islower(), n))


def test_every_exported_name_resolves() -> None:
    for name in threadsmith.__all__:
        assert getattr(threadsmith, name) is not None


def test_import_stays_light() -> None:
    code = (
        "import sys, threadsmith\n"
        "heavy = [m for m in ('torch', 'transformers', 'fastapi', 'trl', 'peft', 'datasets') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
