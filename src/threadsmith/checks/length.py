"""Length checks (LN): extreme length ratios and token budgets."""
