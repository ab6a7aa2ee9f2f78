"""The one role table: every spelling of a role that threadsmith understands.

Readers map a role label through :data:`ROLE_ALIASES` (case- and whitespace-insensitive) and
never guess a role from a message's position alone. :data:`NATIVE_SPELLINGS` lists the
spellings each format uses on purpose (ShareGPT's ``human``/``gpt``), which are not findings.
"""

from __future__ import annotations

ROLE_ALIASES: dict[str, str] = {
    # user
    "user": "user", "human": "user", "usr": "user", "person": "user", "player": "user",
    "prompter": "user", "customer": "user", "client": "user", "questioner": "user",
    # assistant
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant",
    "ai": "assistant", "chatbot": "assistant", "asst": "assistant", "chatgpt": "assistant",
    "llm": "assistant", "function_call": "assistant", "char": "assistant",
    # system
    "system": "system", "sys": "system", "system_prompt": "system", "developer": "system",
    # tool results
    "tool": "tool", "function": "tool", "observation": "tool", "ipython": "tool",
    "tool_response": "tool",
}

#: Spellings a format uses by design; anything else that maps through the table is a
#: non-canonical spelling worth canonicalizing.
NATIVE_SPELLINGS: dict[str, frozenset[str]] = {
    "openai": frozenset({"system", "user", "assistant", "tool", "developer"}),
    "sharegpt": frozenset({"system", "human", "gpt", "function_call", "observation", "tool", "user",
                           "assistant"}),
    "alpaca": frozenset({"system", "user", "assistant"}),
    "trl": frozenset({"system", "user", "assistant", "tool"}),
    "openai-preference": frozenset({"system", "user", "assistant", "tool", "developer"}),
    "gemini": frozenset({"user", "model", "function", "system"}),
    "transcript": frozenset({"Human", "User", "Assistant", "System"}),
    "rendered": frozenset({"system", "user", "assistant", "tool", "model", "ipython"}),
    "sillytavern": frozenset({"system", "user", "assistant"}),
}


def canonical_role(label: str) -> str | None:
    """The canonical role for a label (``"GPT"`` -> ``"assistant"``), or None when it is unknown."""
    return ROLE_ALIASES.get(label.strip().lower())
