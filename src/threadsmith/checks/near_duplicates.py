"""Near-duplicate checks (RP): MinHash-LSH clusters of conversations."""
