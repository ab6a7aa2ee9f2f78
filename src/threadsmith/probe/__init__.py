"""Probing model behavior: suites of scripted probes, reference-free scorers, runs and comparisons.

Light to import: the model backends (torch, transformers, peft, httpx) load only when a run
starts. See docs/probe.md.
"""

from threadsmith.probe.suite import (
    BEHAVIORS,
    Character,
    ChatMessage,
    CheckSpec,
    FormatContract,
    Generation,
    Probe,
    Suite,
    SuiteError,
    Turn,
)
from threadsmith.probe.suite_file import compile_suite, load_suite, suite_from_data

__all__ = [
    "BEHAVIORS",
    "Character",
    "ChatMessage",
    "CheckSpec",
    "FormatContract",
    "Generation",
    "Probe",
    "Suite",
    "SuiteError",
    "Turn",
    "compile_suite",
    "load_suite",
    "suite_from_data",
]
