"""Low-variation checks (LV): dataset-level diversity of replies, openers, system prompts and lengths."""
