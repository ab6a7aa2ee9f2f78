"""The 0-100 quality score: 100 minus a capped, saturating penalty per check family.

For each family ``f``::

    share(f)   = sum over affected entries of the heaviest severity weight among the entry's f findings
                 / number of records
               + 0.05 * sum of the severity weights of f's dataset-level findings
    penalty(f) = 30 * (1 - exp(-share(f) / 0.10))
    score      = max(0, 100 - sum of penalties)

Severity weights: error 1.0, warning 0.4, info 0.05. A family costs at most 30 points, so one
kind of problem alone cannot zero the score; the penalty grows fast for the first affected
entries (a family on 10% of entries with errors costs 19 points) and flattens after. Adding a
finding never raises the score: shares only grow, and the penalty grows with the share.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from threadsmith.model import Family, Finding, Severity

SEVERITY_WEIGHT = {Severity.ERROR: 1.0, Severity.WARNING: 0.4, Severity.INFO: 0.05}
#: The most points one family can cost.
FAMILY_CAP = 30.0
#: The share at which a family has cost 63% of its cap (1 - 1/e).
SCALE = 0.10
#: How much of the share one dataset-level finding adds, per unit of severity weight.
DATASET_FINDING_SHARE = 0.05
#: Score bands, highest first: (lowest score, label).
GRADES = ((85.0, "good"), (60.0, "fair"), (0.0, "poor"))


@dataclass(frozen=True, slots=True)
class FamilyPenalty:
    """What one family costs."""

    family: str
    findings: int
    #: Distinct entries with at least one finding of the family.
    entries: int
    #: Dataset-level findings (not tied to one entry).
    dataset_findings: int
    share: float
    penalty: float


@dataclass(frozen=True, slots=True)
class QualityScore:
    """The score and how it was reached (families ordered by penalty, largest first)."""

    value: float
    records: int
    families: tuple[FamilyPenalty, ...]

    @property
    def rounded(self) -> int:
        """The score as a whole number, rounded down (100 only without a single penalty point)."""
        return int(math.floor(self.value))

    @property
    def grade(self) -> str:
        """``good`` (85 and up), ``fair`` (60 and up) or ``poor``."""
        return next(label for floor, label in GRADES if self.value >= floor)


def family_penalty(share: float) -> float:
    """The points a family with this severity-weighted share of affected entries costs."""
    return FAMILY_CAP * (1.0 - math.exp(-max(0.0, share) / SCALE))


def quality_score(findings: Iterable[Finding], records: int) -> QualityScore:
    """The quality score of a dataset of ``records`` entries with these findings."""
    heaviest: dict[str, dict[tuple[str | None, int], float]] = defaultdict(dict)
    dataset_weight: dict[str, float] = defaultdict(float)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for finding in findings:
        family = finding.family.value if isinstance(finding.family, Family) else str(finding.family)
        weight = SEVERITY_WEIGHT[Severity(finding.severity)]
        counts[family][0] += 1
        if finding.entry_index is None:
            dataset_weight[family] += weight
            counts[family][1] += 1
            continue
        key = (finding.path, finding.entry_index)
        entries = heaviest[family]
        entries[key] = max(entries.get(key, 0.0), weight)
    denominator = max(records, 1)
    families = []
    for family, (found, dataset_level) in counts.items():
        entries = heaviest.get(family, {})
        share = sum(entries.values()) / denominator + DATASET_FINDING_SHARE * dataset_weight[family]
        families.append(FamilyPenalty(family, found, len(entries), dataset_level, share, family_penalty(share)))
    families.sort(key=lambda p: (-p.penalty, p.family))
    value = max(0.0, 100.0 - math.fsum(p.penalty for p in families))  # fsum: exact, so monotone
    return QualityScore(value, records, tuple(families))
