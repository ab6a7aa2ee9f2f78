"""Formatting checks (FM): deviations from the dataset's dominant conventions."""
