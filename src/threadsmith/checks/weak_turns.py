"""Weak-turn checks (WT): minimal replies, echoes, replies far shorter than usual, non-responsive replies."""
