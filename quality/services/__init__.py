"""Writes of the quality app: surveys (waves, answers, imports) and satisfaction ratings."""
