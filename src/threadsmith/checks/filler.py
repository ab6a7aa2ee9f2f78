"""Filler checks (FL): sign-offs, throat-clearing openers, paragraphs unrelated to the conversation."""
