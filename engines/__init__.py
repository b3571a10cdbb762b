"""Pure-Python engines (Q&A retrieval, routing, survey statistics): no Django, no app imports.

import-linter (pyproject.toml) keeps Django and the apps out of this package.
"""
