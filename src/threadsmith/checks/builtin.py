"""The built-in checks: importing this module registers them all (modules of each family).

The one place that imports the check modules for their registrations: a module that imported
its family's other modules at its end made import cycles (importing one of those first failed).
"""

from threadsmith.checks import (  # noqa: F401
    artifacts,
    contradictions,
    credentials,
    duplicates,
    encoding,
    filler,
    filler_openers,
    filler_paragraphs,
    formatting,
    generations,
    length,
    near_duplicates,
    phrases,
    privacy,
    privacy_numbers,
    records,
    repetition,
    role_confusion,
    role_swap,
    role_tokens,
    roles,
    short_replies,
    slop,
    synthetic_noise,
    template,
    tool_calls,
    turn_fields,
    turns,
    variation,
    weak_turns,
)
