"""Writes of the knowledge app: ``entries`` (the knowledge base), ``chat`` (questions, feedback,
hand-over) and ``curation`` (turning unanswered questions into knowledge)."""
