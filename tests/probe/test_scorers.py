"""Scorers on literal replies, and each scorer against its hand-labelled set (a floor)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from threadsmith.probe.scores import agency, correction, emotion, formatting, forgetting, length, overuse, role
from threadsmith.probe.scores import verifiable as v
from threadsmith.probe.scores.outcome import ReplyContext
from threadsmith.probe.suite import ChatMessage, FormatContract
from threadsmith.probe.validation import validate_file

CTX = ReplyContext(history=(ChatMessage("user", "*I raise my shield.*"),), char_name="Mira", user_name="Alex")
LABELLED = sorted(Path(__file__).with_name("labelled").glob("*.yaml"))
#: Precision and recall floors per labelled set (bench/probe_scorers.py prints the figures); the
#: held-out sets (not used for tuning) get regression floors under their measured figures. The
#: assistant-talk and agency held-out sets are the seventh round, measured once after the cue-class
#: rewrite (role 1.00/1.00, agency 1.00/0.70: see bench/RESULTS.md); earlier rounds are dev sets now.
HOLDOUT_FLOORS = {"role.no_assistant_speak": (0.9, 0.8), "agency.no_user_narration": (0.9, 0.6),
                  "format.contract": (0.9, 0.9), "slop.rate": (0.9, 0.8),
                  # Fourth session (measured once: the rest 1.00/1.00; introduced phrases 1.00/0.00
                  # with the log-odds test, 1.00/0.75 with the reply-count gates). role.persona: held-out
                  # round 2, measured once after the rarity-weighted scorer: 1.00/0.89 (round 1, 0.86/0.86
                  # with word overlap, is the dev set role_persona_3 now).
                  "role.persona": (0.9, 0.85), "format.verifiable": (0.9, 0.9), "overuse.distinct_n": (0.9, 0.9),
                  "overuse.introduced": (0.9, 0.7), "forgetting.extract_choice": (0.9, 0.9),
                  "forgetting.answer_changed": (0.9, 0.9)}
#: Dev sets that were fresh held-out rounds: floors under their figures.
SET_FLOORS = {"agency_5": (0.9, 0.8), "agency_7": (0.9, 0.8), "role_assistant_speak_7": (0.9, 0.9)}
FLOORS = {"role.no_assistant_speak": (0.85, 0.85), "role.identity": (0.85, 0.85),
          "agency.no_user_narration": (0.85, 0.8), "format.contract": (0.85, 0.85), "slop.rate": (0.85, 0.85),
          "emotion.drift": (0.7, 0.9), "length.in_band": (0.9, 0.9), "correction.follows": (0.75, 0.9),
          "role.persona": (0.9, 0.8), "format.verifiable": (0.9, 0.9), "overuse.distinct_n": (0.9, 0.9),
          "overuse.introduced": (0.9, 0.7), "forgetting.extract_choice": (0.9, 0.9),
          "forgetting.answer_changed": (0.9, 0.9)}


@pytest.mark.parametrize("path", LABELLED, ids=lambda p: p.stem)
def test_labelled_floor(path: Path) -> None:
    result = validate_file(path)
    low_p, low_r = SET_FLOORS.get(path.stem) or (HOLDOUT_FLOORS if path.stem.startswith("holdout")
                                                 else FLOORS)[result.check]
    assert result.cases >= 8 and result.bad >= 3
    assert result.precision >= low_p, result.errors
    assert result.recall >= low_r, result.errors


def test_every_scored_check_has_a_labelled_set() -> None:
    assert {validate_file(p).check for p in LABELLED} == set(FLOORS)


def test_assistant_speak_uses_the_dataset_checks() -> None:
    assert role.assistant_speak("*She nods.* \"Come in.\"", CTX).passed
    out = role.assistant_speak("As an AI language model, I cannot feel the rain.", CTX)
    assert not out.passed and "as an ai" in out.detail.lower()
    # FL001 (sign-off) is found by the dataset check, not our own patterns.
    assert not role.assistant_speak("The lamp is lit. Have a great day!", CTX).passed


def test_assistant_speak_reads_narration_for_service_and_meta_talk() -> None:
    # The character may say service words in quoted speech; outside quotes they are the assistant's.
    assert role.assistant_speak('*She laughs.* "I can\'t help you if you won\'t sit still."', CTX).passed
    assert not role.assistant_speak("I can't help with that request, sorry.", CTX).passed
    assert role.assistant_speak('"Let me know when the kettle boils."', CTX).passed
    for reply in ("I'm not able to write that scene.", "Below is the next part of the story: Mira waves.",
                  "Mira would say the storm is close.", "Would you like me to make Mira angrier?",
                  "OOC - sorry, I misread that.", "Here's Mira's reply, in a gruff tone: \"Sit.\""):
        assert not role.assistant_speak(reply, CTX).passed, reply
    assert role.assistant_speak("*Mira tells the story of the wreck, slowly.*", CTX).passed


def test_character_break_cue_classes() -> None:
    from threadsmith.probe.scores.character_breaks import cues, narration, verdict

    def kinds(reply: str) -> set[tuple[str, bool]]:
        return {(c.kind, c.strong) for c in cues(reply, "Mira Holt", "Alex")}

    assert narration('*She says "the story" twice.* "Let me know." (Aside.)').split() == [".", ".", "(Aside.)"]
    assert ("artifact", True) in kinds("Back to our little story: Mira nods.")
    assert ("artifact", True) in kinds("I can add more in my next reply.")
    assert ("service", True) in kinds("I'm happy to continue from here.")
    assert ("collaborator", True) in kinds("Great twist with the map! Mira frowns.")
    assert ("disclaimer", True) in kinds("Mira answers, though this is purely hypothetical.")
    assert ("outside", True) in kinds("Here's what the keeper says next: nothing.")
    assert ("outside", True) in kinds("I've made Mira a little softer.")
    # Weak cues need company: one is not enough, two of any classes are.
    assert verdict(cues("Feel free to sit by the fire.", "Mira", "Alex")) is None
    assert verdict(cues("Feel free to suggest things; Mira might soften.", "Mira", "Alex"))
    # The same words in the character's quoted speech or *actions* are the character's.
    for reply in ('"Let me know if the story changes, Alex. I\'m happy to continue the watch."',
                  '*Mira tells the story of the wreck.* "Thanks for the help, I suppose."'):
        assert verdict(cues(reply, "Mira", "Alex")) is None, reply
    assert role.assistant_speak("I can't help but notice the fog rolling in.", CTX).passed


def test_identity_and_persona_margin() -> None:
    assert not role.identity("I'm Claude, made by Anthropic.", CTX).passed
    assert role.identity("I'm Mira. Who's asking?", CTX).passed
    card = ["Mira keeps the lighthouse, trims the lamp and logs passing ships."]
    other = [["Borin the dwarf smith hammers swords at his forge."]]
    assert role.persona_margin("I trimmed the lamp and logged two ships.", card, other).passed
    assert not role.persona_margin("The forge is hot; hand me that sword to hammer.", card, other).passed


def test_persona_weights_rarity_ignores_echoes_and_marks_no_evidence() -> None:
    from threadsmith.probe.scores import persona

    card = ["Mira keeps the lighthouse on the rock and logs passing ships at night."]
    others = [["Borin the dwarf smith hammers swords at his forge every night."],
              ["Vex the smuggler flies a starship past the station at night."]]
    bland = role.persona_margin("Sit down. Tea is in the pot.", card, others)
    assert bland.passed and bland.detail.startswith("not enough evidence")
    # "night" is on every card and a general word: it is no evidence for anyone
    assert role.persona_margin("Good night, then.", card, others).detail.startswith("not enough evidence")
    echo = "A forge? Swords? Not here, love. Mind the rock on the stair."
    assert not role.persona_margin("A forge? Swords? Not here, love.", card, others).passed
    assert role.persona_margin(echo, card, others, user=["Do you have a forge for swords?"]).passed
    # one word of the character's own outweighs a general word shared with another card
    assert role.persona_margin("The ships are late; perhaps the station clock is wrong.", card, others).passed
    assert persona.stem("hives") == "hive" and persona.stem("logged") == persona.stem("logs") == "log"


def test_format_contract_rules() -> None:
    ctx = ReplyContext(char_name="Mira", contract=FormatContract(actions="asterisk", quotes="double", markdown=False,
                                                                 paragraphs=(1, 2)))
    good = formatting.contract('*Mira nods.* "Come in."', ctx)
    assert good.passed and good.value == 1.0
    bad = formatting.contract("## Reply\n\n- Mira nods\n- She waves", ctx)
    assert not bad.passed and "markdown" in bad.detail and 0 < bad.value < 1
    assert not formatting.contract("", ctx).passed


def test_infer_contract_from_replies() -> None:
    replies = [f'*Mira nods at the {w}.* "Fine, {w} it is."' for w in
               "door lamp boat sea gull rope map log oil bell".split()]
    inferred = formatting.infer_contract(replies)
    assert inferred.actions == "asterisk" and inferred.quotes == "double"
    assert inferred.markdown is False and inferred.paragraphs == (1, 1) and inferred.name_prefix is False


def test_verifiable_checks() -> None:
    ctx = ReplyContext()
    assert v.words_between("one two three", ctx, min=2, max=3).passed
    assert not v.sentences_between("One. Two. Three.", ctx, max=2).passed
    assert v.paragraphs_between("a\n\nb", ctx, min=2, max=2).passed
    assert v.must_include_any("Her eyes are green.", ctx, any=["green"]).passed
    assert not v.must_not_include("Blue eyes.", ctx, any=["blue"]).passed
    assert not v.no_asterisks("*waves*", ctx).passed and v.actions_in_asterisks("*waves*", ctx).passed
    assert not v.no_markdown("**Bold** text", ctx).passed
    assert not v.ends_cleanly("and then she", ctx).passed
    assert not v.ends_cleanly("Done.", ReplyContext(finish_reason="length")).passed
    assert v.lowercase("all quiet", ctx).passed and not v.no_comma("a, b", ctx).passed


def test_slop_rate_and_distinct_n() -> None:
    assert overuse.slop_rate("Tea's in the tin.").passed
    out = overuse.slop_rate("Her voice barely above a whisper, a shiver ran down her spine. A testament to fate.")
    assert not out.passed and "testament to" in out.detail
    assert overuse.distinct_n(["a b c d", "a b c d"], 2) == pytest.approx(3 / 6)
    # Length-matched: a longer repetitive reply is cut to the budget first.
    assert overuse.distinct_n(["a b " * 50], 2, budget=4) == pytest.approx(2 / 3)


def test_introduced_phrases_need_two_probes() -> None:
    tuned = [("p1", "She smiles softly and waits by the lamp."), ("p2", "He smiles softly at the boat."),
             ("p2", "She smiles softly again."), ("p3", "The gull cries over the harbour wall."),
             ("p3", "By the harbour wall again."), ("p3", "The harbour wall, the harbour wall.")]
    base = [("p1", "She waits by the lamp."), ("p2", "He looks at the boat."), ("p3", "A gull cries.")]
    phrases = [i.phrase for i in overuse.introduced_phrases(tuned, base, sizes=(2,), max_p=0.5)]
    assert "smiles softly" in phrases
    assert not any("harbour wall" in p for p in phrases)  # one probe only


def test_emotion_drift_slope_and_volatility() -> None:
    assert emotion.slope([0, 0.1, 0.2, 0.3]) == pytest.approx(0.1)
    assert emotion.volatility([0, 1, 0]) == 1.0
    steady = emotion.drift(["The lamp needs oil.", "Wick's trimmed.", "The log says noon."])
    assert steady.passed
    creep = emotion.drift(["Get out.", "Fine, stay.", "I'm glad you're here.", "I love you, this is wonderful!"])
    assert not creep.passed and "drifts" in creep.detail


def test_length_band() -> None:
    ctx = ReplyContext(length_band=(3, 5))
    assert length.in_band("one two three four", ctx).passed
    assert not length.in_band("one", ctx).passed
    assert length.in_band("one", ReplyContext()).passed is None
    assert length.band_of(["a", "a b", "a b c", "a b c d", "a b c d e"], 0.0, 1.0) == (1, 5)


def test_correction_follows() -> None:
    args = {"include_any": ["green"], "exclude": ["blue"]}
    assert correction.follows("Her green eyes narrow.", CTX, **args).passed
    assert not correction.follows("Her blue eyes narrow.", CTX, **args).passed
    assert not correction.follows("She turns away.", CTX, **args).passed


def test_user_agency_uses_role_confusion_detectors() -> None:
    assert agency.user_agency("*Mira ducks.* \"Hold him!\"", CTX).passed
    out = agency.user_agency("*Mira ducks.* You feel the blow and stagger back.", CTX)
    assert not out.passed and out.detail.startswith("RC004")
    assert agency.user_agency("*Mira strikes.*\nAlex: \"I've got him!\"", CTX).detail.startswith("RC001")


def test_agency_narration_rule_generalizes() -> None:
    narrated = agency.narrated_user
    assert narrated("*A wave hits.* Startled, Alex loses his grip.", "Alex")  # lead-in; any verb after the name
    assert narrated("*She waits.* After a pause, you finally agree.", "Alex")
    assert narrated("*Mira hums.* Warmth spreads through you, and you relax.", "Alex")  # a later clause
    assert narrated("*A crash.* You yelp and grab Mira's arm.", "Alex", "Mira")  # names the character: narration
    assert narrated("*Mira points.* You cling to the rope.", "Alex")
    assert narrated("*The door opens.* \"Come in.\" You hesitate at the threshold.", "Alex")
    assert narrated("*Thunder rolls.* Shivering, you pull the blanket tighter.", "Alex")  # a narrative lead-in
    assert narrated("*The boat lurches.* You're flung against the rail.", "Alex")  # the user as patient
    assert not narrated("*She shrugs.* Honestly, you worry too much.", "Alex")  # a spoken lead-in
    assert not narrated("*Mira grins.* You look half-drowned, I'd say.", "Alex")  # unmarked with "I": speech
    assert not narrated("Imagine you drop an apple, and then you let go.", "Alex")  # a hypothetical
    assert not narrated("*Mira glances at Alex's boots.* \"Off with those.\"", "Alex")  # possessive, not subject
    assert not narrated("*She watches you, waiting to see if you'll follow.*", "Alex")


def test_forgetting_kl_and_answer_changes() -> None:
    same = ([1, 2], [math.log(0.6), math.log(0.3)])
    assert forgetting.position_kl(same, same) == pytest.approx(0.0, abs=1e-9)
    moved = ([2, 1], [math.log(0.6), math.log(0.3)])
    assert forgetting.position_kl(same, moved) > 0.1
    assert forgetting.mean_kl([[same, same]], [[same, moved]]) == pytest.approx(forgetting.position_kl(same, moved) / 2)
    rate, changed = forgetting.answer_changes({"a": 0, "b": 1}, {"a": 0, "b": 2})
    assert rate == 0.5 and changed == ["b"]
    assert forgetting.accuracy({"a": 0, "b": 2}, {"a": 0, "b": 1}) == 0.5


def test_extract_choice_reads_letters_names_and_hedges() -> None:
    choices = ["Lyon", "Paris", "Berlin", "Madrid"]
    assert forgetting.extract_choice("The answer is (B).", choices) == 1
    assert forgetting.extract_choice("c) Berlin", choices) == 2
    assert forgetting.extract_choice("A lot of people say Lyon, but the answer is B.", choices) == 1
    assert forgetting.extract_choice("It's Paris, not Lyon.", choices) == 1  # a negated choice is skipped
    assert forgetting.extract_choice("Lyon or Paris, hard to say.", choices) is None  # a hedge
    assert forgetting.extract_choice("I can't help with that.", choices) is None
    assert forgetting.extract_choice("At 100 degrees.", ["0 degrees", "100 degrees"]) == 1  # a distinctive word


def test_verifiable_plurals_and_abbreviations() -> None:
    ctx = ReplyContext()
    assert v.must_include_any("Three ships passed.", ctx, any=["ship"]).passed
    assert not v.must_not_include("Storms again.", ctx, any=["storm"]).passed
    assert not v.must_include_any("The shipwright came.", ctx, any=["ship"]).passed
    assert v.sentences_between("Mr. Penrose left, and Dr. Soto came.", ctx, max=1).passed


def test_introduced_phrases_gates() -> None:
    """Repeated in 3 of 5 replies (the base: never) is introduced; in 2 of 5, or as often as the base, is not."""
    def pairs(n: int, used: int, seed: str) -> list[tuple[int, str]]:
        return [(i, " ".join(f"{seed}{i}w{k}" for k in range(30)) + (" barely above a whisper" if i < used else ""))
                for i in range(n)]

    found = overuse.introduced_phrases(pairs(5, 3, "t"), pairs(5, 0, "b"))
    assert found and found[0].phrase == "barely above a whisper" and (found[0].count, found[0].base_count) == (3, 0)
    assert found[0].p == pytest.approx(21 / 252, abs=1e-4)  # one-sided Fisher: C(7,2) / C(10,5)
    assert not overuse.introduced_phrases(pairs(5, 2, "t"), pairs(5, 0, "b"))
    assert not overuse.introduced_phrases(pairs(5, 4, "t"), pairs(5, 3, "b"))  # the base says it too
    assert overuse.fisher_greater(5, 5, 0, 5) == pytest.approx(1 / 252)
