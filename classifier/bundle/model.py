"""A loaded bundle: the one public way to score, rank, accept and explain; nothing outside reaches into its
estimator."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.bundle.suggestion import Suggestion
from classifier.corpus.release import parse_release
from classifier.estimator.scope import scope_flags
from classifier.estimator.windows import read_windowed


@dataclass(frozen=True)
class Reading:
    """What the model makes of a batch of texts: each field's probability, the accepted fields (0/1)
    and each text's flag (None, or why no field is accepted: "language", "out-of-scope")."""

    proba: np.ndarray
    accepted: np.ndarray
    flags: list[str | None]


class Model:
    """A loaded bundle: label names, the fitted estimator and its metadata.

    Texts given to `predict_proba` and `suggest` are pages or plain text: each is parsed first, so a
    scraped page's menus never count. Documents (from `classifier.corpus.documents`) are parsed already.
    """

    def __init__(self, estimator, metadata: dict, path: Path | None = None):
        self.estimator = estimator
        self.metadata = metadata
        self.path = path

    @property
    def labels(self) -> list[str]:
        return list(self.metadata["labels"])

    @property
    def flags(self) -> dict[str, str]:
        """Fields known from their taxonomy keywords alone ("zero-shot") or from few examples ("low-confidence")."""
        labels = dict(zip(self.metadata.get("labels_as_trained", self.labels), self.labels))
        flags = {
            labels[label]: "low-confidence"
            for label in self.metadata.get("low_confidence_fields", [])
            if label in labels
        }
        flags.update(
            {labels[label]: "zero-shot" for label in self.metadata.get("zero_shot_fields", []) if label in labels}
        )
        return flags

    @property
    def thresholds(self) -> np.ndarray:
        """Each field's probability threshold, in the order of `labels`."""
        return self.estimator.thresholds_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of shape (len(texts), len(labels)); each text is parsed first, so menus never count.
        A long text's probability of a field is its highest over the text's windows (see `read`)."""
        return self.read([parse_release(text).model_text for text in texts]).proba

    def predict_proba_documents(self, documents) -> np.ndarray:
        return self.read([doc.model_text for doc in documents]).proba

    def read(self, model_texts: Sequence[str]) -> Reading:
        """Probabilities, accepted fields and flags of texts as the model reads them ("title\nbody").

        A text longer than a whole page is read window by window (classifier.estimator.windows); a text
        in another language or out of the model's scope gets no accepted field and its flag
        (classifier.estimator.scope). Every way of scoring a text (suggest, tag, evaluate, compare) reads it so.
        """
        model_texts = list(model_texts)
        windowed = read_windowed(self.estimator, model_texts)
        flags = scope_flags(self.estimator, model_texts, windowed.proba)
        accepted = windowed.accepted.copy()
        accepted[[i for i, flag in enumerate(flags) if flag]] = 0
        return Reading(windowed.proba, accepted, flags)

    def read_documents(self, documents) -> Reading:
        return self.read([doc.model_text for doc in documents])

    def accept(self, proba) -> np.ndarray:
        """0/1 matrix of the fields accepted for each row of `proba`: the model's own thresholds and rule."""
        return self.estimator.accept(proba)

    def features(self, model_texts: Sequence[str]):
        """The texts' feature vectors (sparse rows), as the model sees them."""
        return self.estimator.transform(list(model_texts))

    def explain(self, model_texts: Sequence[str], top: int = 5) -> list[list[list[tuple[str, float]]]]:
        """For each text and each field, the terms that raised the field's score most (see TopicClassifier.explain)."""
        return self.estimator.explain(list(model_texts), top=top)

    def suggestions_from_proba(self, proba, titles) -> list[Suggestion]:
        """Suggestions from probabilities alone: the model's rule accepts, no text is flagged."""
        return self.suggestions_from_reading(Reading(proba, self.accept(proba), [None] * len(proba)), titles)

    def suggestions_from_reading(self, reading: Reading, titles) -> list[Suggestion]:
        labels = self.labels
        flags = self.flags or None
        out = []
        for row, keep, flag, title in zip(reading.proba, reading.accepted, reading.flags, titles):
            order = sorted(range(len(labels)), key=lambda j: (-row[j], j))
            out.append(
                Suggestion(
                    title=title,
                    labels=[labels[j] for j in order if keep[j]],
                    scores=[(labels[j], float(row[j])) for j in order],
                    flags=flags,
                    flag=flag,
                )
            )
        return out

    def suggest(self, text: str, explain: bool = False) -> Suggestion:
        """Parse one page or plain text and suggest its fields; with `explain`, the terms behind each accepted one.
        `Suggestion.flag` says why no field is accepted, if none is ("language", "out-of-scope")."""
        release = parse_release(text)
        suggestion = self.suggestions_from_reading(self.read([release.model_text]), [release.title])[0]
        return self.with_evidence([suggestion], [release.model_text])[0] if explain else suggestion

    def suggest_many(self, texts: Sequence[str], explain: bool = False) -> list[Suggestion]:
        """`suggest` for many pages or plain texts at once (one matrix product, not one per text)."""
        if isinstance(texts, str):
            raise TypeError("suggest_many takes a sequence of texts; for one text, use suggest")
        releases = [parse_release(str(text)) for text in texts]
        if not releases:
            return []
        model_texts = [release.model_text for release in releases]
        suggestions = self.suggestions_from_reading(self.read(model_texts), [r.title for r in releases])
        return self.with_evidence(suggestions, model_texts) if explain else suggestions

    def tag_frame(self, frame, text: str = "text", title: str | None = None):
        """A pandas DataFrame with, for each row of `frame`, the accepted fields (`labels`, a list), the text's
        `flag` ("", or why no field is accepted: "language", "out-of-scope", as in `tag` rows) and one score column per
        field
        (`score: <field>`), on the same index. `text` names the column holding pages or plain text; `title`,
        if given, a column of titles put before the text."""
        import pandas as pd  # only DataFrame users need pandas

        for column in (text, title):
            if column is not None and column not in frame.columns:
                raise KeyError(f"no column {column!r} in the frame (columns: {', '.join(map(str, frame.columns))})")
        texts = frame[text].fillna("").astype(str)
        if title is not None:
            texts = frame[title].fillna("").astype(str) + "\n" + texts
        if len(texts):
            reading = self.read([parse_release(text).model_text for text in texts.tolist()])
        else:
            reading = Reading(np.zeros((0, len(self.labels))), np.zeros((0, len(self.labels)), dtype=np.int8), [])
        proba, accepted = reading.proba, reading.accepted
        labels = self.labels
        result = pd.DataFrame({f"score: {label}": proba[:, j] for j, label in enumerate(labels)}, index=frame.index)
        result.insert(
            0,
            "labels",
            [[labels[j] for j in np.argsort(-row, kind="stable") if keep[j]] for row, keep in zip(proba, accepted)],
        )
        result.insert(1, "flag", [flag or "" for flag in reading.flags])
        return result

    def __repr__(self) -> str:
        data = self.metadata.get("training_data", {})
        micro = self.metadata.get("cv_metrics", {}).get("micro", {}).get("f1")
        where = f" from {self.path}" if self.path else ""
        return (
            f"<Model{where}: {len(self.labels)} fields, trained on {data.get('documents', '?')} documents"
            + (f", cross-validated micro-F1 {micro:.3f}" if micro is not None else "")
            + ">"
        )

    def _repr_html_(self) -> str:

        counts = self.metadata.get("label_counts", {})
        flags = self.flags
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td>{counts.get(label, '')}</td><td>{threshold:.2f}</td>"
            f"<td>{html.escape(flags.get(label, ''))}</td></tr>"
            for label, threshold in zip(self.labels, self.thresholds)
        )
        return (
            f"<p>{html.escape(repr(self))}</p><table><thead><tr><th>field</th><th>examples</th><th>threshold</th>"
            f"<th>flag</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def suggest_documents(self, documents, explain: bool = False) -> list[Suggestion]:
        """One suggestion per document (parsed already), in order; with `explain`, the evidence too."""
        documents = list(documents)
        if not documents:
            return []
        suggestions = self.suggestions_from_reading(self.read_documents(documents), [doc.title for doc in documents])
        return self.with_evidence(suggestions, [doc.model_text for doc in documents]) if explain else suggestions

    def with_evidence(self, suggestions: list[Suggestion], model_texts: list[str], top: int = 5) -> list[Suggestion]:
        """The suggestions with, for each accepted field, the terms of the text that pushed it most."""
        explanations = self.explain(model_texts, top=top)
        index = {label: j for j, label in enumerate(self.labels)}
        return [
            Suggestion(
                s.title, s.labels, s.scores, {label: per_label[index[label]] for label in s.labels}, s.flags, s.flag
            )
            for s, per_label in zip(suggestions, explanations)
        ]
