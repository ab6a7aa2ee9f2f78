"""Handling corrections: after the user corrects a fact, name or format, do replies follow it?

A correction probe scripts the correcting turn and a few turns after it. ``correction.follows``
is put on the reply right after the correction (uptake) and on a reply k turns later
(persistence); it passes when the reply uses one of the corrected terms (``include_any``, when
given) and none of the retracted ones (``exclude``). The acknowledgement must stay in character:
combine it with ``role.no_assistant_speak`` to fail "I apologize for the confusion".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from threadsmith.probe.scores.outcome import Outcome, ReplyContext


def _has(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term.lower())}(?!\w)", text) is not None


def follows(reply: str, context: ReplyContext, include_any: Sequence[str] = (), exclude: Sequence[str] = (),
            label: str = "uptake") -> Outcome:
    """Passes when the reply uses a corrected term (if any are given) and no retracted one."""
    low = reply.lower()
    used = [t for t in exclude if _has(low, t)]
    if used:
        return Outcome(0.0, False, f"{label}: still uses {used[0]!r} after the correction")
    if include_any and not any(_has(low, t) for t in include_any):
        return Outcome(0.0, False, f"{label}: uses none of {list(include_any)}")
    return Outcome(1.0, True, "")
