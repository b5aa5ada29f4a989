"""Field keywords as evidence: each field's name, keywords and description written as one document."""

from __future__ import annotations


def keyword_document(field) -> str:
    """A field's name (as the title line), keywords and description, as one text the model can read."""
    keywords = ". ".join(field.keywords)
    return f"{field.name}\n{keywords}. {field.description}".strip()
