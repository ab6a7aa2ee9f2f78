"""The built-in checks: importing this module registers them all (one module per family)."""

from threadsmith.checks import (  # noqa: F401
    contradictions,
    credentials,
    duplicates,
    filler,
    formatting,
    length,
    near_duplicates,
    privacy,
    privacy_numbers,
    records,
    repetition,
    role_confusion,
    roles,
    synthetic_noise,
    template,
    turn_fields,
    turns,
    variation,
    weak_turns,
)
