"""Repetition checks (RP): over-represented openers, overused phrases, assistant turns reused verbatim."""
