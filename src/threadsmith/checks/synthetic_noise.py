"""Synthetic-noise checks (SN): assistant boilerplate and refusals, truncation, loops, placeholders, scrape artifacts, slop."""
