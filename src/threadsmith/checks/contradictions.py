"""Contradiction checks (CT): the same context answered in materially different ways."""
