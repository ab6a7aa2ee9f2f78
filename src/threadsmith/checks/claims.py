"""Word lists of the contradiction checks: function words, and the words that carry a reply's claims.

Two replies that say nearly the same thing in nearly the same words can still contradict each
other: "it is safe" / "it is not safe", "boil it for 5 minutes" / "for 15 minutes", "always" /
"never". The claim words are negations, numbers, and the sides of antonym pairs; synonyms share a
side ("big" and "large"), so a reworded copy keeps its claims. Each word has one class, carried in
the low byte of its hash (features.py).
"""

from __future__ import annotations

#: Function words: left out of a reply's content (negations, numbers and antonyms are not here).
FUNCTION_WORDS = frozenset(
    "a an the and or but if then so of to in on at by for with from as is are was were be been being am "
    "i i'm me my you your it it's its this that these those there here he she they we our their his her "
    "do does did have has had will would can could should may might shall just also very really too "
    "what which who whom how when where why some any all each much such than".split())

#: Number words (digits are numbers too): a changed number is a changed claim.
NUMBER = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion dozen half twice thrice once double triple first second third fourth fifth".split())

NEGATION = frozenset(
    "not no never nor none nothing nobody nowhere neither cannot can't don't doesn't didn't won't wouldn't "
    "isn't aren't wasn't weren't shouldn't couldn't mustn't needn't hasn't haven't hadn't ain't shan't "
    "hardly barely seldom rarely".split())

#: Antonym pairs, each side a group of words that mean about the same.
ANTONYMS: tuple[tuple[str, str], ...] = (
    ("always forever constantly", "sometimes occasionally"),
    ("more greater", "less fewer"),
    ("most", "least"),
    ("many numerous lots plenty", "few"),
    ("increase increases increased increasing raise raises raised grow grows grew growing",
     "decrease decreases decreased decreasing reduce reduces reduced shrink shrinks"),
    ("rise rises rose rising", "fall falls fell falling drop drops dropped"),
    ("higher taller", "lower shorter"),
    ("high tall", "low"),
    ("above", "below beneath"),
    ("before earlier prior", "after later afterwards"),
    ("early", "late"),
    ("last final", "initial"),
    ("safe safely harmless secure", "dangerous unsafe harmful hazardous risky deadly"),
    ("true truth", "false untrue"),
    ("correct accurate", "wrong incorrect inaccurate mistaken"),
    ("possible feasible", "impossible unfeasible"),
    ("possibly likely probably", "unlikely improbable"),
    ("legal lawful allowed permitted", "illegal unlawful forbidden prohibited banned"),
    ("allow allows permit permits", "forbid forbids prohibit prohibits ban bans"),
    ("able capable", "unable incapable"),
    ("agree agrees agreed", "disagree disagrees disagreed"),
    ("accept accepts accepted", "reject rejects rejected refuse refuses refused"),
    ("love loves loved adore", "hate hates hated despise"),
    ("good great excellent fine wonderful", "bad terrible awful"),
    ("better", "worse"),
    ("best", "worst"),
    ("strong stronger powerful", "weak weaker feeble"),
    ("easy easier simple simpler", "hard harder difficult tough complicated"),
    ("success successful succeed succeeds succeeded", "failure failed fail fails unsuccessful"),
    ("win wins won winning victory", "lose loses lost losing defeat"),
    ("guilty", "innocent"),
    ("hot warm warmer hotter", "cold cool colder cooler"),
    ("fast faster quick quicker quickly rapid rapidly swift", "slow slower slowly"),
    ("big bigger large larger huge enormous", "small smaller little tiny"),
    ("long longer", "brief briefer"),
    ("heavy heavier", "lightweight"),
    ("rich wealthy", "poor broke"),
    ("expensive costly", "cheap inexpensive affordable"),
    ("important crucial essential vital significant", "unimportant trivial insignificant"),
    ("necessary required needed", "unnecessary optional needless"),
    ("healthy", "unhealthy"),
    ("happy glad", "sad unhappy"),
    ("positive", "negative"),
    ("north northern", "south southern"),
    ("east eastern", "west western"),
    ("include includes included", "exclude excludes excluded"),
    ("inside indoors", "outside outdoors"),
    ("alive living", "dead"),
    ("old older ancient elderly", "young younger new newer modern"),
    ("often frequently usually regularly commonly", "infrequently"),
    ("open opened", "closed shut"),
    ("full", "empty"),
    ("clean", "dirty"),
    ("wet", "dry"),
    ("same identical similar", "different distinct"),
    ("yes yeah yep", "nope"),
    ("certainly definitely surely absolutely", "doubtful"),
    ("maximum max", "minimum min"),
    ("plus", "minus"),
    ("enough sufficient", "insufficient"),
    ("visible", "invisible"),
    ("friend friends ally allies", "enemy enemies foe foes"),
    ("remember remembered", "forget forgot forgotten"),
    ("arrive arrives arrived", "depart departs departed"),
    ("buy bought", "sell sold"),
    ("push pushed", "pull pulled"),
    ("bright", "dark dim"),
    ("awake", "asleep"),
    ("internal", "external"),
    ("natural", "artificial"),
    ("permanent", "temporary"),
    ("public", "private"),
    ("real genuine authentic", "fake counterfeit forged"),
    ("known", "unknown"),
    ("common", "rare"),
)


def _codes() -> dict[str, int]:
    codes = {word: 3 for word in NEGATION}
    for pair, (left, right) in enumerate(ANTONYMS):
        for side, words in enumerate((left, right)):
            for word in words.split():
                codes.setdefault(word, 4 + 2 * pair + side)
    return codes


#: word -> claim class: 3 a negation, 4 + 2k and 5 + 2k the two sides of antonym pair k.
CLAIM_CODES = _codes()
assert max(CLAIM_CODES.values()) < 256
