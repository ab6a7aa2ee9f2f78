"""Privacy checks (PV): emails, phone numbers, secrets, card numbers, IP addresses."""
