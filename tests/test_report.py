"""The HTML report: escaping, offline, content, and the quality score's properties."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import chat
from threadsmith.errors import UserError
from threadsmith.model import Family, Finding, Severity
from threadsmith.report import build_report, quality_score, write_report
from threadsmith.report.score import FAMILY_CAP

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
EXAMPLES = resources.files("threadsmith") / "examples"


@pytest.fixture
def hostile(tmp_path: Path, write_jsonl) -> Path:
    """Attack strings in messages, speaker names, tags, the system prompt and the file name."""
    records = [
        {"messages": [{"role": "system", "content": f"{SCRIPT} {IMG}"},
                      {"role": "user", "content": f" {SCRIPT} "},
                      {"role": "assistant", "content": f"{IMG} *{SCRIPT}*", "name": IMG}],
         "tags": [SCRIPT, IMG]},
        {"messages": [{"role": "user", "content": IMG, "name": SCRIPT}, {"role": "assistant", "content": ""}],
         "tags": [IMG]},
    ]
    return write_jsonl(records, name="x<img src=y onerror=alert(2)>.jsonl")


class _Elements(HTMLParser):
    """Every start tag and attribute name of a page, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_data_is_escaped_everywhere(hostile: Path) -> None:
    page = build_report([hostile]).html
    elements = _Elements()
    elements.feed(page)
    assert not {"script", "img", "iframe", "object", "embed"} & elements.tags
    assert not [name for name in elements.attributes if name.startswith("on")]
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # a name, a tag and the system prompt show it escaped
    assert "x&lt;img src=y onerror=alert(2)&gt;.jsonl" in page  # the file name too


def test_report_is_offline(hostile: Path, write_jsonl) -> None:
    for path in (hostile, write_jsonl([chat(("user", "Hi"), ("assistant", "Hello"))], name="clean.jsonl")):
        page = build_report([path]).html
        assert re.search(r"""(src|href|action|srcset|xlink:href)\s*=\s*["']?\s*(https?:|//|data:text)""", page, re.I) is None
        assert "<link" not in page and "@import" not in page and "url(" not in page
        assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))
        assert "default-src 'none'" in page  # the CSP forbids any load or script
    assert "http://" not in page and "https://" not in page


def test_report_sections_and_examples(write_jsonl) -> None:
    path = write_jsonl([chat(("user", " padded "), ("assistant", "Fine.")), chat(("user", "Hi"), ("assistant", "Hello"))])
    report = build_report([path], examples=3)
    page = report.html
    for anchor in ("findings", "shape", "style", "composition", "score"):
        assert f'id="{anchor}"' in page
    assert 'id="code-ST008"' in page and 'href="#code-ST008"' in page
    assert "show conversation" in page and 'class="turn hit"' in page  # the flagged message, highlighted
    assert "penalty(family) = 30" in page and f"{report.score.rounded}<small>/100" in page
    assert report.stats.conversations == 2 and report.audit.summary.findings >= 1


def test_write_report_refuses_to_overwrite_input(write_jsonl, tmp_path: Path) -> None:
    path = write_jsonl([chat(("user", "Hi"), ("assistant", "Hello"))])
    with pytest.raises(UserError):
        write_report([path], path)
    written = write_report([path], tmp_path / "r.html")
    assert Path(written.output).read_text(encoding="utf-8") == written.html
    (tmp_path / "r.html").write_text("an older report", encoding="utf-8")
    again = write_report([path], tmp_path / "r.html")  # replaced whole, no partial file left
    assert Path(again.output).read_text(encoding="utf-8") == again.html
    with pytest.raises(UserError, match="Cannot write"):
        write_report([path], tmp_path / "missing" / "r.html")
    assert not any(p.name.endswith(".partial") for p in tmp_path.rglob("*"))


def _finding(family: Family, severity: Severity, entry: int | None, path: str = "d.jsonl") -> Finding:
    return Finding("XX001", "x", family, severity, "m", path=path, entry_index=entry)


findings_strategy = st.lists(
    st.builds(_finding, st.sampled_from(list(Family)), st.sampled_from(list(Severity)),
              st.one_of(st.none(), st.integers(0, 19))), max_size=40)


@settings(max_examples=100, deadline=None)
@given(findings_strategy, findings_strategy)
def test_score_is_monotone(base: list[Finding], more: list[Finding]) -> None:
    before = quality_score(base, 20)
    after = quality_score(base + more, 20)
    assert after.value <= before.value and after.rounded <= before.rounded
    assert 0 <= after.value <= 100


def test_score_extremes() -> None:
    assert quality_score([], 10).value == 100 and quality_score([], 0).grade == "good"
    everything = [_finding(Family.STRUCTURE, Severity.ERROR, i) for i in range(10)]
    one_family = quality_score(everything, 10)
    assert one_family.value >= 100 - FAMILY_CAP  # one family alone cannot zero the score
    assert one_family.families[0].entries == 10 and one_family.families[0].penalty == pytest.approx(FAMILY_CAP, 1e-3)
    many = [_finding(family, Severity.ERROR, i) for family in Family for i in range(10)]
    assert quality_score(many, 10).value == 0
    # one entry counts once per family, at its heaviest severity
    twice = [_finding(Family.FILLER, Severity.INFO, 0), _finding(Family.FILLER, Severity.WARNING, 0)]
    assert quality_score(twice, 10).families[0].share == pytest.approx(0.4 / 10)


def test_example_datasets_score_as_expected() -> None:
    clean = [str(EXAMPLES / name) for name in ("roleplay-lighthouse.jsonl", "assistant-chat.jsonl")]
    assert build_report(clean).score.value >= 85
    assert build_report([str(EXAMPLES / "dirty.jsonl")]).score.value < 60


def test_statistics_beside_the_audit_give_the_same_page(monkeypatch) -> None:
    """On a large input the statistics pass runs in a forked process beside the audit: the page
    is the one the pass after the audit makes; a failing statistics process costs only time."""
    import datetime
    import multiprocessing

    from threadsmith.stats import background

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("the statistics run beside the audit only where processes fork")
    files = [str(p) for p in resources.files("threadsmith.examples").iterdir() if p.name.endswith(".jsonl")]
    when = datetime.datetime(2026, 1, 1)
    monkeypatch.setenv("THREADSMITH_WORKERS", "2")
    monkeypatch.setattr(background, "MIN_PARALLEL_BYTES", 1 << 62)
    serial = build_report(files, generated=when)
    monkeypatch.setattr(background, "MIN_PARALLEL_BYTES", 0)
    started: list = []
    real = background.Beside.start

    def start(cls, *args):
        job = real(*args)
        started.append((job, job.forked))
        return job

    monkeypatch.setattr(background.Beside, "start", classmethod(start))
    beside = build_report(files, generated=when)
    (job, forked), = started
    assert forked and job.process is None  # it forked, and the process ended with the block
    assert beside.stats == serial.stats and beside.html == serial.html

    def broken(conn, *args):
        conn.close()  # dies without an answer

    monkeypatch.setattr(background, "_serve", broken)
    assert build_report(files, generated=when).html == serial.html


def test_the_functions_a_dataset_calls_are_charted_only_when_it_calls_some(write_jsonl) -> None:
    from tests.formats.test_tool_calls import OPENAI

    with_calls = build_report([write_jsonl([OPENAI, OPENAI], name="tools.jsonl")]).html
    assert "<h3>Tool calls</h3>" in with_calls and "get_weather" in with_calls
    plain = [chat(("user", "Hi"), ("assistant", "Hello"))]
    assert "<h3>Tool calls</h3>" not in build_report([write_jsonl(plain, name="plain.jsonl")]).html
