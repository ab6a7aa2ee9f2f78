"""Synthetic-noise checks (SN): what the case files cannot say (dataset kinds, thresholds, data runs)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.checks.dataset_runs import conversation, qa, run
from tests.conftest import SHARED_DATA
from threadsmith.checks.artifacts import FillInPlaceholder
from threadsmith.checks.encoding import encoding_damage, repair_encoding
from threadsmith.checks.generations import DegenerateLoop, TruncatedReply, unfinished
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.slop import STOCK_PHRASES, DatasetStockPhrases, StockPhrases, phrase_label, stock_phrase_hits
from threadsmith.checks.synthetic_noise import AiDisclaimer, Refusal, anywhere, in_replies, present, replies
from threadsmith.checks.text import WordPhrases, joined, phrase_variants, view, words
from threadsmith.checks.turn_scan import may_be_cut
from threadsmith.model import Severity

DATA = SHARED_DATA / "gpteacher-roleplay.json"
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "threadsmith" / "examples"


def hits(check_cls, conv, kind="assistant", options=None):
    return list(check_cls(options, CheckContext(kind=kind)).check(conv))


# --- Shared primitives ------------------------------------------------------------------------

def test_phrase_variants_expand_alternatives_optional_slots_and_multiword_alternatives() -> None:
    assert phrase_variants("i'm|i_am unable to") == [("i'm", "unable", "to"), ("i", "am", "unable", "to")]
    assert phrase_variants("sent a| shiver") == [("sent", "a", "shiver"), ("sent", "shiver")]
    assert phrase_variants("^ever-evolving world") == [("ever", "evolving", "world")]


def test_word_phrases_match_whole_words_and_curly_apostrophes() -> None:
    table = WordPhrases(["great", "i can't", "a testament to"])
    assert table.find(tuple(words("The greatest day"))) == []
    assert [p for p, _, _ in table.find(tuple(words("I can’t; a testament to it, great!")))] == [1, 2, 0]


def test_word_phrases_longest_variant_wins_and_anchor_hint_is_respected() -> None:
    table = WordPhrases(["^unlock the| full| potential"])
    assert table.anchors == {"unlock"}
    tokens = tuple(words("We unlock the full potential today"))
    assert table.find(tokens) == [(0, 1, 5)]
    assert table.find(tokens, present={"unlock"}) == table.find(tokens)
    assert table.find(tokens, present=set()) == []


def test_the_family_scan_is_computed_once_per_conversation() -> None:
    conv = qa("Hi, TODO: fill this in", "As an AI language model, I can't assist with that.")
    assert present(conv) is present(conv)
    assert "language" in present(conv)[1] and present(conv)[0] == {"todo"}  # every role is scanned
    assert anywhere(conv) == present(conv)[0] | present(conv)[1]
    assert in_replies(conv) == present(conv)[1] and "todo" not in in_replies(conv)
    assert replies(conv) == ((1,), (view(conv)[1],))


def test_stock_phrase_partner_filter_finds_what_the_full_match_finds() -> None:
    from threadsmith.checks.slop import _candidates
    rng = random.Random(11)
    vocabulary = sorted({w for p in STOCK_PHRASES.patterns for v in phrase_variants(p) for w in v})
    for _ in range(300):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 60)))
        tokens = tuple(words(text))
        found = present(qa("?", text))[1]
        assert STOCK_PHRASES.find(tokens, _candidates(found)) == STOCK_PHRASES.find(tokens), text


def test_stock_phrase_list_is_our_own_size_and_has_no_repeats() -> None:
    assert 80 <= len(STOCK_PHRASES.patterns) <= 150
    assert len(set(STOCK_PHRASES.patterns)) == len(STOCK_PHRASES.patterns)
    assert phrase_label(STOCK_PHRASES.patterns.index("^unlock|unlocking the|your full| potential")) == \
        "unlock the full potential"


# --- Severity and judgement by dataset kind ---------------------------------------------------

@pytest.mark.parametrize(("cls", "kind", "severity"), [
    (AiDisclaimer, "roleplay", Severity.ERROR), (AiDisclaimer, "assistant", Severity.WARNING),
    (Refusal, "roleplay", Severity.ERROR), (Refusal, "instruction", Severity.WARNING),
    (Refusal, "assistant", Severity.INFO),
    (FillInPlaceholder, "roleplay", Severity.WARNING), (FillInPlaceholder, "instruction", Severity.INFO),
])
def test_severity_follows_the_dataset_kind(cls, kind, severity) -> None:
    assert cls(None, CheckContext(kind=kind)).severity is severity
    assert cls.severity in (Severity.WARNING, Severity.INFO)  # the class keeps its documented default


def test_roleplay_needs_more_than_a_weak_refusal() -> None:
    conv = qa("Where is the vault?", "I can't share that information with you, stranger.")
    assert hits(Refusal, conv, "assistant")
    assert not hits(Refusal, conv, "roleplay")
    model = qa("Go on.", "I can't continue this roleplay.")
    assert hits(Refusal, model, "roleplay")
    assert hits(Refusal, qa("Go on.", "My apologies, but I can’t produce that."), "roleplay")
    assert hits(Refusal, qa("Go on.", "I won't be able to write that. Is there anything else I can help with?"), "roleplay")
    assert not hits(Refusal, qa("Come with me!", "Sorry, lad, I can't go with you."), "roleplay")


def test_in_character_ai_is_not_boilerplate_but_vendor_talk_is() -> None:
    cast = [("system", "You are Unit-7, an android. Roleplay as the android."), ("user", "Who are you?")]
    assert not hits(AiDisclaimer, conversation(*cast, ("assistant", "I am an AI built for the mines.")), "roleplay")
    assert hits(AiDisclaimer, conversation(*cast, ("assistant", "I was developed by OpenAI.")), "roleplay")


def test_fill_ins_are_fine_in_a_requested_draft_only_in_assistant_data() -> None:
    draft = qa("Write an email to my landlord about the fan.", "Hi [Name], the fan is broken. Thanks, [Your name]")
    story = qa("You are the curator. Reply to the donor.", "Thank you. Yours sincerely, [Your Name]")
    assert not hits(FillInPlaceholder, draft, "assistant")
    assert hits(FillInPlaceholder, story, "assistant")
    assert hits(FillInPlaceholder, draft, "roleplay")
    assert hits(FillInPlaceholder, draft, "assistant", {"allow_requested_drafts": False})


def test_placeholders_are_told_from_error_codes_and_tuples() -> None:
    from threadsmith.checks.artifacts import fill_ins, template_variables
    assert template_variables("Node throws [ERR_ASSERTION] here.") == []
    assert template_variables("Hi [CHARACTER_NAME], I am XXXX.") == ["XXXX", "[CHARACTER_NAME]"]
    assert fill_ins("Pass [name, value] pairs; [EOF character] ends it.") == []
    assert fill_ins("Signed, [name of the captain]") == ["[name of the captain]"]


# --- Truncation and loops ---------------------------------------------------------------------

@pytest.mark.parametrize("ending", [
    "It was a quiet night.", "*smiles*", "\"See you tomorrow,\" she said. *waves*", "And then...",
    "Done! 🎉", "Yours sincerely, Sherlock Holmes", "Best of luck! - Harry", "Thanks!\n\nMaren",
    "Steps:\n1. Boil water\n2. Add tea", "See https://example.org/docs", "Follow us! #LighthouseLife",
    "lol ok", "```python\nprint(1)\n```", "The decoded message is: 'meet at dawn'",
    "Subtract 7: 3x = 15.\nDivide by 3: x = 5.\n\nCheck: 3 × 5 + 7 = 22.",
])
def test_complete_endings_are_not_truncated(ending: str) -> None:
    assert unfinished("The tide turned at noon. " + ending) is None


@pytest.mark.parametrize(("ending", "reason"), [
    ("She opened the door and saw the", "with 'the'"), ("He reached for his coat,", "','"),
    ("Here is the plan:", "':'"), ("*She turns toward the window, her hand on the", "unclosed *action*"),
    ("She smiled. *Turning toward the window, she whispers", "unclosed *action*"),
    ('He said, "I will be back before the storm breaks', "open quotation"),
    ("Run this:\n```bash\nls -la", "unclosed code block"), ("The keeper lit the lamp and watched the beam sweep across", "mid-sentence"),
    ("The storm passed. It has th", "mid-sentence"), ("1. Pack a bag. 2. Lock the door. 3.", "empty list item"),
])
def test_cut_off_endings_are_truncated(ending: str, reason: str) -> None:
    found = unfinished("The tide turned at noon, and the boats came home. " + ending)
    assert found is not None and reason in found


PIECES = st.sampled_from(["She", "smiled", "2", "the", " ", "\n", "\n\n", ".", "!", "?", "…", ",", ":", "*", "**", '"',
                          "“", "”", "’", "`", "```", "(", ")", "-", "•", "]", "1.", "- ", "Share", "Sources: [1]"])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=14).map("".join))
def test_the_scan_lists_every_reply_that_unfinished_reports(text: str) -> None:
    for reply in (text, "The tide turned at noon. " + text):
        assert may_be_cut(reply) or unfinished(reply) is None


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=14).map("".join))
def test_the_ui_tail_pretest_keeps_every_tail_the_pattern_finds(text: str) -> None:
    from threadsmith.checks.artifacts import _UI_TAIL, ui_artifacts
    tail = _UI_TAIL.search(text, max(0, len(text) - 80))
    if (text[-1:].isalpha() or text[-1:] == "]") and tail and tail.start() > 0:  # the tail the check reports
        assert tail.span() in ui_artifacts(text, frozenset(), literals=False)


def test_truncation_fix_cuts_back_only_when_enough_is_left() -> None:
    check = TruncatedReply()
    long = qa("Go on.", "The storm had passed by morning, and the harbour was calm. She walked down to the")
    short = qa("Go on.", "Yes. The storm had passed by morning, and the harbour was calm, and she walked down to the")
    assert check.fix(long).messages[1].text == "The storm had passed by morning, and the harbour was calm."
    assert [h.fixable for h in check.check(short)] == [False]
    assert check.fix(short) == short


@pytest.mark.parametrize("loop", [
    "I will never leave you. I will never leave you. I will never leave you.",  # sentences
    "Stay with me, stay with me now, stay with me now, stay with me now.",  # clauses between commas
    '"The tide is turning." "The tide is turning." "The tide is turning."',  # quoted lines
    "*The keeper lights the lamp.* *The keeper lights the lamp.* *The keeper lights the lamp.*",  # actions
    "The keeper lights the lamp\n- The keeper lights the lamp\n- The keeper lights the lamp",  # lines
    "and then we ran " * 12,  # no punctuation at all: an n-gram in a run-on clause
    '"Awaiting further orders" ' * 11,  # a short quoted phrase: the n-gram count in a run-on clause
])
def test_loops_are_found_in_every_shape(loop: str) -> None:
    for conv in (qa("Go on.", "The storm passed. " + loop), conversation(
            ("user", "Go on."), ("assistant", "The storm passed and the harbour woke up slowly."),
            ("user", "And?"), ("assistant", "The storm passed. " + loop))):  # one probe for all replies first
        assert [h.message_index for h in hits(DegenerateLoop, conv)] == [len(conv.messages) - 1], loop


def test_repeats_across_replies_or_in_code_are_not_loops() -> None:
    reply = "The harbour is quiet tonight. The boats are in."
    conv = conversation(("user", "Hi"), ("assistant", reply), ("user", "And?"), ("assistant", reply),
                        ("user", "Again?"), ("assistant", reply))
    assert not hits(DegenerateLoop, conv)
    code = "Run it:\n```\nprint('hello there friend')\nprint('hello there friend')\nprint('hello there friend')\n```"
    assert not hits(DegenerateLoop, conversation(("user", "Hi"), ("assistant", code), ("user", "And?"),
                                                 ("assistant", "```python\nx = 1\n")))


def test_loop_thresholds_are_options() -> None:
    conv = qa("Stay?", "I will stay with you. I will stay with you. Always.")
    assert not hits(DegenerateLoop, conv)
    assert hits(DegenerateLoop, conv, options={"min_repeats": 2})
    song = qa("Sing", " ".join(["the wind is calling me home tonight my love"] * 5))
    assert hits(DegenerateLoop, song)
    assert not hits(DegenerateLoop, song, options={"min_ngram_repeats": 9})


# --- Encoding damage ------------------------------------------------------------------------

WORDS = st.sampled_from(["café", "naïve", "Straße", "señor", "smörgåsbord", "über", "façade", "it’s", "“quoted”",
                         "—", "😊", "東京", "Ωmega", "plain", "text", "São", "l’été", "crème brûlée", "résumé"])
SENTENCES = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(SENTENCES)
def test_correct_text_is_never_reported_or_changed(text: str) -> None:
    assert encoding_damage(text) == []
    assert repair_encoding(text) == text


@settings(max_examples=200, deadline=None)
@given(SENTENCES)
def test_mojibake_is_repaired_to_the_original(text: str) -> None:
    damaged = text.encode("utf-8").decode("cp1252", errors="ignore")
    if damaged != text and text.encode("utf-8").decode("cp1252", errors="ignore").encode("cp1252") == text.encode("utf-8"):
        assert encoding_damage(damaged)
        assert repair_encoding(damaged) == text


# --- Stock phrases --------------------------------------------------------------------------

SLOPPY = ("Her voice, barely above a whisper, sent shivers down his spine; the tapestry of stars was a testament "
          "to their unwavering bond.")


def test_stock_phrase_rate_and_thresholds() -> None:
    conv = qa("Describe the night.", SLOPPY)
    total, found, busiest = stock_phrase_hits(conv)
    assert total == len(words(SLOPPY)) and len(found) == 5 and busiest == 1
    assert hits(StockPhrases, conv)
    assert not hits(StockPhrases, conv, options={"min_hits": 6})
    assert not hits(StockPhrases, conv, options={"max_rate": 500})


def test_stock_phrase_finding_names_one_reply_or_several() -> None:
    one = qa("Describe the night.", SLOPPY)
    assert hits(StockPhrases, one)[0].message.startswith("assistant message 1 uses 5 stock phrases")
    two = conversation(("user", "Night?"), ("assistant", SLOPPY), ("user", "More?"), ("assistant", SLOPPY))
    assert hits(StockPhrases, two)[0].message.startswith("assistant message 1 (and the other replies) use 10")


def test_overlapping_phrases_count_once() -> None:
    total, found, _ = stock_phrase_hits(qa("?", "It sent shivers down her spine."))
    assert len(found) == 1


def test_dataset_rate_is_reported_once_with_its_top_phrases() -> None:
    rng = random.Random(3)
    plain = [qa("Weather?", "Rain by noon, then wind from the west, and the ferry will run late.") for _ in range(40)]
    sloppy = [qa("Night?", SLOPPY) for _ in range(10)]
    options = {"min_words": 300}
    found = run(DatasetStockPhrases, rng.sample(plain + sloppy, 50), options)
    assert len(found) == 1 and found[0].ref is None
    assert "20% of entries" in found[0].message and "'barely above a whisper' (10)" in found[0].message
    assert run(DatasetStockPhrases, plain, options) == []
    assert run(DatasetStockPhrases, sloppy[:2], options) == []  # under min_words
    assert run(DatasetStockPhrases, plain * 5 + sloppy[:1], options) == []  # under max_rate


# --- Whole-conversation gates ----------------------------------------------------------------

def test_conversation_gates_skip_only_what_no_message_holds() -> None:
    from threadsmith.checks.artifacts import ChatUiText, TemplateVariable
    from threadsmith.checks.encoding import EncodingDamage
    clean = conversation(("system", "You are Ada."), ("user", "Hi"), ("assistant", "Hello there. Share"))
    assert joined(clean) == "You are Ada.\nHi\nHello there. Share"
    assert [h.message_index for h in hits(ChatUiText, clean)] == [2]  # a button at the end of a turn
    assert not hits(ChatUiText, qa("Do you like it?", "I like it a lot."))
    assert [h.message_index for h in hits(TemplateVariable, qa("Hi {{user}}", "Hello."))] == [0]
    assert [h.message_index for h in hits(TemplateVariable, qa("Lorem Ipsum dolor sit amet", "Hello."))] == [0]
    assert [h.message_index for h in hits(EncodingDamage, qa("Fish &amp; chips", "Yes."))] == [0]
    assert not hits(EncodingDamage, qa("Café crème", "Oui."))


def test_chat_ui_text_is_found_in_its_own_turn() -> None:
    """A UI word or character in one turn ("cite sources", a time "10:30") opens the gate for the
    conversation; each kind of UI text is found in its own turn, and plain turns stay clean."""
    from threadsmith.checks.artifacts import ChatUiText
    convo = conversation(
        ("system", "Cite sources. Answer by 10:30."), ("user", "Write hello world."),
        ("assistant", "Here:\npythonCopy code\nprint('hello')"), ("user", "Thanks"),
        ("assistant", "You said:\nThanks\nChatGPT said:"), ("user", "Again?"),
        ("assistant", "Sure, here it is.\nRegenerate response"), ("user", "More?"), ("assistant", "No more."))
    assert [h.message_index for h in hits(ChatUiText, convo)] == [2, 4, 6]


# --- Real data (skipped without ../shared) ---------------------------------------------------

def _audit(path: Path, kind: str | None = None):
    from threadsmith import Config
    from threadsmith.audit import audit
    return audit([str(path)], config=Config(select=("SN", "PV"), kind=kind or "auto"))


@pytest.mark.skipif(not DATA.exists(), reason="shared data not available")
def test_gpteacher_flag_rates_stay_low_and_the_dataset_rate_is_reported() -> None:
    report = _audit(DATA)
    entries = {f.entry_index for f in report.findings if f.entry_index is not None}
    assert len(entries) / report.summary.conversations < 0.02
    dataset = [f for f in report.findings if f.code == "SN010"]
    assert len(dataset) == 1 and "per 1,000 words" in dataset[0].message


@pytest.mark.skipif(not (EXAMPLES / "roleplay-lighthouse.jsonl").exists(), reason="examples not written yet")
@pytest.mark.parametrize("name", ["roleplay-lighthouse.jsonl", "assistant-chat.jsonl"])
def test_clean_examples_have_no_synthetic_noise_or_private_data(name: str) -> None:
    assert [f.message for f in _audit(EXAMPLES / name, "roleplay" if "roleplay" in name else "assistant").findings] == []


@pytest.mark.skipif(not (EXAMPLES / "dirty.jsonl").exists(), reason="examples not written yet")
def test_dirty_example_problems_are_found() -> None:
    lines = {}
    for n, line in enumerate((EXAMPLES / "dirty.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        try:
            lines[json.loads(line).get("id")] = n
        except (ValueError, AttributeError):
            continue
    found = {(f.code, f.line) for f in _audit(EXAMPLES / "dirty.jsonl").findings}
    for code, record_id in (("SN001", "d-21"), ("SN003", "d-23"), ("PV001", "d-25"), ("PV003", "d-25"), ("SN005", "d-27")):
        if record_id in lines:
            assert (code, lines[record_id]) in found, (code, record_id)
