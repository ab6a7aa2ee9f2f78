"""Findings grouped for review: family -> code -> entries, dismissed ones set apart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from threadsmith.model import Finding
from threadsmith.workspace.review import Dismissal


def group(findings: Iterable[Finding], dismissals: Iterable[Dismissal], per_code: int = 100) -> list[dict[str, Any]]:
    """Families (most findings first), each with its codes and up to ``per_code`` findings per code."""
    dismissed = {(d.entry_key, d.code): d.reason for d in dismissals}
    codes: dict[str, dict[str, Any]] = {}
    for f in findings:
        reason = dismissed.get((f.entry_id or "", f.code))
        code = codes.setdefault(f.code, {"code": f.code, "name": f.name, "family": f.family.value,
                                         "severity": f.severity.value, "fix": str(f.fix) if f.fix else None,
                                         "fix_safety": f.fix.safety.value if f.fix else None, "count": 0,
                                         "dismissed": 0, "entries": []})
        if reason is not None:
            code["dismissed"] += 1
            continue
        code["count"] += 1
        if len(code["entries"]) < per_code:
            code["entries"].append({"key": f.entry_id, "message_index": f.message_index, "message": f.message,
                                    "dataset_level": f.entry_index is None})
    families: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for code in sorted(codes.values(), key=lambda c: (-c["count"], c["code"])):
        families[code["family"]].append(code)
    out = [{"family": name, "count": sum(c["count"] for c in items), "codes": items}
           for name, items in families.items()]
    return sorted(out, key=lambda f: (-f["count"], f["family"]))
