"""Threadsmith: a local-first workbench for conversational fine-tuning datasets."""
