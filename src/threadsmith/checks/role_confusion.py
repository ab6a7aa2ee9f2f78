"""Role-confusion checks (RC): turn leakage, leaked template tokens, speaking for the user, swapped roles."""
