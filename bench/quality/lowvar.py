"""Low-variation is a property of a whole dataset: small datasets that must, or must not, be flagged."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from threadsmith.model import Conversation

from bench.quality import textops
from bench.quality.textops import message

_IDENTITY_Q = ["Who are you?", "What's your name?", "who made you", "Are you ChatGPT?", "Tell me about yourself.",
               "What are you?", "Introduce yourself", "Which company created you?", "are you a bot?",
               "What should I call you?", "Who built you?", "What is your name again?"]
_SUPPORT_PRODUCTS = ["router", "smart speaker", "thermostat", "doorbell camera", "laptop", "tablet", "printer",
                     "e-reader", "headphones", "fitness tracker", "robot vacuum", "smart plug"]
_SUPPORT_PROBLEMS = ["won't turn on", "keeps disconnecting from the wifi", "makes a buzzing noise",
                     "shows an error light", "stopped charging", "is stuck on the logo", "lost all my settings",
                     "is very slow since the update", "won't pair with my phone", "gets really hot"]


@dataclass(frozen=True)
class Case:
    name: str
    conversations: list[Conversation]
    #: True: the low-variation family must report it; False: it must not.
    expect_flag: bool
    required: bool
    note: str


def identity(seed: int, n: int = 500) -> list[Conversation]:
    """Near-identical identity Q&As, the classic over-trained "who are you" block."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        q = textops.vary_end(textops.vary_case(rng.choice(_IDENTITY_Q), rng), rng)
        a = (f"I'm Nova, {rng.choice(['an AI assistant', 'a helpful AI assistant', 'an AI model'])} "
             f"{rng.choice(['created', 'built', 'developed'])} by Lumen Labs. "
             f"{rng.choice(['How can I help you today?', 'What can I do for you?', 'How can I assist you?'])}")
        out.append(Conversation(id=f"identity-{k}", messages=(message("user", q), message("assistant", a))))
    return out


def support_template(seed: int, n: int = 400) -> list[Conversation]:
    """Customer-support replies stamped from one template with the product name filled in."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        product, problem = rng.choice(_SUPPORT_PRODUCTS), rng.choice(_SUPPORT_PROBLEMS)
        q = rng.choice([f"My {product} {problem}.", f"hi, the {product} {problem}, what do I do?",
                        f"Help! {product} {problem}", f"Why does my new {product} say it {problem}?"])
        a = (f"Thank you for contacting us about your {product}. We're sorry to hear about the trouble. "
             "Please unplug the device, wait thirty seconds and plug it back in. If the problem continues, "
             "reply to this message and a support agent will get back to you within 24 hours.")
        out.append(Conversation(id=f"support-{k}", messages=(message("user", q), message("assistant", a))))
    return out


def shared_opener(base: Sequence[Conversation], seed: int, n: int = 400, share: float = 0.7) -> list[Conversation]:
    """Real replies, most of them starting with the same sentence."""
    rng = random.Random(seed)
    picked = rng.sample(list(base), min(n, len(base)))
    out = []
    for conv in picked:
        if rng.random() < share:
            i = max(k for k, m in enumerate(conv.messages) if m.role == "assistant")
            conv = textops.replace_message(conv, i, "What a wonderful thing to be asked! " + conv.messages[i].text)
        out.append(conv)
    return out


def cases(real: Sequence[Conversation], extra_clean: dict[str, Sequence[Conversation]], seed: int) -> list[Case]:
    """The low-variation cases: positives are synthetic, negatives are real varied data."""
    out = [Case("identity-500", identity(seed), True, True, "500 near-identical identity Q&As"),
           Case("support-template-400", support_template(seed), True, False, "one reply template, product name varies")]
    if len(real) >= 400:
        out.append(Case("shared-opener-400", shared_opener(real, seed), True, False,
                        "real replies, 70% start with the same sentence"))
    if real:
        rng = random.Random(seed)
        sample = rng.sample(list(real), min(500, len(real)))
        out.append(Case(f"real-sample-{len(sample)}", sample, False, True, "random sample of the real data"))
    for name, convs in extra_clean.items():
        out.append(Case(name, list(convs), False, False, "shipped clean example data"))
    return out
