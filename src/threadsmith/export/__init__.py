"""Trainer-ready exports: formats for every common trainer, filters, leakage-free splits, manifests (issue 5)."""
