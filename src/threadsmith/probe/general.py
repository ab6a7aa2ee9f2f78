"""A small general-knowledge set for forgetting probes, written for this project.

Multiple-choice items (answer choices scored by likelihood; the first listed index is the key)
and prompts with a fixed reference continuation (next-token KL against the base model).
"""

from __future__ import annotations

#: (id, question, choices, index of the right answer)
CHOICES: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("capital_france", "What is the capital of France?", ("Paris", "Lyon", "Berlin", "Madrid"), 0),
    ("water_boils", "At sea level, water boils at what temperature in Celsius?", ("100 degrees", "50 degrees",
                                                                                    "0 degrees", "212 degrees"), 0),
    ("planets", "Which planet is closest to the Sun?", ("Mercury", "Venus", "Mars", "Jupiter"), 0),
    ("arith", "What is 7 times 8?", ("56", "54", "64", "48"), 0),
    ("opposite", "What is the opposite of 'ancient'?", ("modern", "old", "antique", "elderly"), 0),
    ("photosynthesis", "What gas do plants take in for photosynthesis?", ("carbon dioxide", "oxygen", "helium",
                                                                          "nitrogen"), 0),
    ("shakespeare", "Who wrote 'Romeo and Juliet'?", ("William Shakespeare", "Charles Dickens", "Jane Austen",
                                                      "Mark Twain"), 0),
    ("continents", "How many continents are there by the usual count?", ("seven", "five", "nine", "twelve"), 0),
)

#: (id, prompt, reference continuation)
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("explain_tcp", "Explain in one sentence what TCP does.",
     "TCP delivers a reliable, ordered stream of bytes between two programs over a network."),
    ("recipe", "Give me a one-line tip for cooking rice.",
     "Rinse the rice first, then use about one and a half cups of water per cup of rice."),
    ("summary", "Summarize the water cycle in one sentence.",
     "Water evaporates, condenses into clouds, falls as precipitation and flows back to the sea."),
)
