"""Tokenizers, chat templates, rendering and loss masks (issue 5); heavy libraries load late."""
