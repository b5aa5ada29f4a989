"""The model's answer for one text: accepted fields, every field's score, flags and evidence, as a dict or as text."""

from __future__ import annotations

import html
from dataclasses import dataclass

SCOPE_NOTES = {
    "language": "the text is not in English",
    "out-of-scope": "the text does not read like an OSCE policy text",
    "too-short": "the text is too short to judge, and no field reaches its threshold",
}


@dataclass(frozen=True)
class Suggestion:
    """The model's answer for one text: accepted fields and every field's score, best first.

    `flag` is set when the model abstains, accepting no field: "language" (the text is not in English),
    "out-of-scope" (it does not read like an OSCE policy text) or "too-short" (a text of a few words, no field
    reaching its threshold); see classifier.estimator.scope.
    `flags` are the per-field flags ("low-confidence", "zero-shot"). `scope`, with evidence, is what the
    checks read in a flagged text (see classifier.estimator.scope.scope_reading): why it was flagged. `named`,
    with evidence, holds for each accepted field the taxonomy phrases of it that the text holds (its name,
    aliases, sub-topics and keywords): a field with few examples is accepted on these even when its score is low.
    `error` is why a document could not be read (as a `tag` row's `error`): such a suggestion has no field and
    no score.
    """

    title: str
    labels: list[str]
    scores: list[tuple[str, float]]
    evidence: dict[str, list[tuple[str, float]]] | None = None
    flags: dict[str, str] | None = None
    flag: str | None = None
    scope: dict | None = None
    named: dict[str, list[str]] | None = None
    error: str | None = None

    def shown(self, top: int | None = None) -> list[tuple[str, float]]:
        """The `top` best fields' scores (all without `top`), and those of the accepted fields below them: an
        accepted field is always shown."""
        if not top:
            return list(self.scores)
        accepted = set(self.labels)
        return [item for rank, item in enumerate(self.scores) if rank < top or item[0] in accepted]

    def to_dict(self, top: int | None = None) -> dict:
        shown = self.shown(top)
        suggestions = []
        for label, score in shown:
            entry = {"label": label, "score": round(score, 4)}
            if self.flags and label in self.flags:
                entry["flag"] = self.flags[label]
            if self.evidence is not None and label in self.evidence:
                entry["evidence"] = [{"term": term, "weight": weight} for term, weight in self.evidence[label]]
            if self.named and label in self.named:
                entry["named"] = list(self.named[label])
            suggestions.append(entry)
        out = {"title": self.title, "labels": self.labels}
        if self.flag:
            out["flag"] = self.flag
        if self.scope is not None:
            out["scope"] = dict(self.scope)
        if self.error:
            out["error"] = self.error
        return {**out, "suggestions": suggestions}

    def to_text(self, origin: str, top: int | None = None) -> str:
        """For a terminal: the input's name, its title, then one line per field (`*` marks the accepted ones),
        its flag, and the terms behind it when the suggestion carries evidence."""
        shown = self.shown(top)
        lines = [origin]
        if self.title:
            lines.append(f"  {self.title}")
        if self.flag:
            lines.append(f"  no field accepted: {SCOPE_NOTES.get(self.flag, self.flag)} ({self.flag})")
            if self.scope is not None:
                lines.append(f"    because of: {_scope_text(self.scope)}")
        width = max((len(label) for label, _ in shown), default=0)
        for label, score in shown:
            mark = "*" if label in self.labels else " "
            flag = f"  ({self.flags[label]})" if self.flags and label in self.flags else ""
            lines.append(f"  {mark} {label:{width}}  {score:.2f}{flag}")
            if self.evidence and label in self.evidence:
                terms = ", ".join(f"{term} ({weight:.2f})" for term, weight in self.evidence[label])
                lines.append(f"      because of: {terms}")
            if self.named and label in self.named:
                lines.append(f"      named in the text: {', '.join(self.named[label])}")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        best = ", ".join(f"{label} {score:.2f}" for label, score in self.scores[:3])
        flag = f" ({self.flag})" if self.flag else ""
        if self.error:
            return f"<Suggestion failed: {self.error}>"
        return f"<Suggestion {self.title[:40]!r}: accepted {self.labels}{flag}; best {best}>"

    def _repr_html_(self) -> str:
        if self.error:  # no field and no score to show: what kept the document from being read
            title = f"<b>{html.escape(self.title)}</b> " if self.title else ""
            return f"<p>{title}failed: {html.escape(self.error)}</p>"
        rows = "".join(
            f"<tr><td>{'&#10003;' if label in self.labels else ''}</td><td>{html.escape(label)}</td>"
            f"<td>{score:.2f}</td>"
            f"<td>{html.escape((self.flags or {}).get(label, ''))}</td>"
            f"<td>{html.escape(_evidence_words(self, label))}</td></tr>"
            for label, score in self.shown(10)
        )
        why = f" (no field accepted: {html.escape(self.flag)})" if self.flag else ""
        return (
            f"<p><b>{html.escape(self.title)}</b>{why}</p>"
            "<table><thead><tr><th>accepted</th><th>field</th><th>score</th><th>flag</th><th>evidence</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


def _evidence_words(suggestion: Suggestion, label: str) -> str:
    """The terms behind a field, and the phrases of it the text names, in one line."""
    terms = ", ".join(term for term, _ in (suggestion.evidence or {}).get(label, []))
    named = ", ".join((suggestion.named or {}).get(label, []))
    return f"{terms}; named: {named}" if named else terms


def _scope_text(scope: dict) -> str:
    """What the checks read in a flagged text, in words."""
    parts = [
        f"{scope['non_latin_letters']:.0%} of its letters not Latin",
        f"{scope['english_function_words']} English and {scope['foreign_function_words']} other function words "
        f"in {scope['words']} words",
    ]
    if scope.get("coverage") is not None:
        parts.append(f"{scope['coverage']:.0%} of {scope['content_words']} content words known")
    if scope.get("specificity") is not None:
        parts.append(f"specificity {scope['specificity']:.2f}")
    return "; ".join(parts)
