"""Loaded bundles as Annif projects: an id each, and the taxonomy's fields as subjects with stable URIs."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from classifier.errors import ClassifierError
from classifier.taxonomy.fields import SUBJECT_URI_PREFIX, Taxonomy

# A field's URI and notation come from its `id` in taxonomy.yaml, which never changes when its name
# does, so a subject stored by a client keeps meaning the same field across renames and retraining.
VOCABULARY_ID = "osce-fields-of-work"
LANGUAGE = "en"
# What a project id may look like: a bundle directory's name. Anything else in a URL (a slash, "..",
# a NUL) is refused before it is looked up.
PROJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class ProjectError(ClassifierError, ValueError):
    """A project that cannot be served, or a project id that is not one; `status` is the HTTP status to answer.
    On the command line (`serve --model`) it is a usage error."""

    exit_code = 2

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Subject:
    uri: str
    label: str
    notation: str

    def result(self, score: float) -> dict:
        """One entry of Annif's SuggestionResult list."""
        return {"uri": self.uri, "label": self.label, "notation": self.notation, "score": round(float(score), 4)}


def subjects_of(taxonomy: Taxonomy) -> dict[str, Subject]:
    """Every field of the taxonomy as a subject, by field name."""
    return {f.name: Subject(SUBJECT_URI_PREFIX + f.id, f.name, f.id) for f in taxonomy.fields}


def project_id_for(path: Path) -> str:
    """A bundle's project id: its directory's name, with characters an id cannot hold turned into dashes."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).resolve().name).strip("-_") or "model"
    return name[:100]


def check_project_id(project_id: str) -> None:
    if not PROJECT_ID.fullmatch(project_id):
        raise ProjectError(
            f"{project_id[:100]!r} is not a project id (letters, digits, '-' and '_' only; see GET /v1/projects)", 400
        )


@dataclass
class Project:
    """One loaded bundle, served under `id`."""

    id: str
    model: object
    taxonomy: Taxonomy
    subjects: dict[str, Subject] = field(init=False)
    # The estimator's per-process caches are not written for concurrent callers: one call at a time.
    lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Read with the model, once: a bundle trained again over the served one describes a model this one is not.
    modified: str | None = field(init=False, default=None)
    card_text: str | None = field(init=False, default=None, repr=False)

    def __post_init__(self):
        self.subjects = subjects_of(self.taxonomy)
        folder = Path(self.model.path) if self.model.path else None
        if folder is not None and (folder / "model.json").exists():
            stamp = datetime.fromtimestamp((folder / "model.json").stat().st_mtime, tz=timezone.utc)
            self.modified = stamp.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if folder is not None and (folder / "MODEL.md").exists():
            self.card_text = _card_text(folder / "MODEL.md")

    def info(self) -> dict:
        """Annif's Project object."""
        modified = self.modified
        return {
            "project_id": self.id,
            "name": f"OSCE fields of work ({self.id})",
            "language": LANGUAGE,
            "backend": {"backend_id": "classifier"},
            "vocab": vocabulary_info(self.taxonomy),
            "vocab_language": LANGUAGE,
            "is_trained": True,
            "modification_time": modified,
            "model": self.model.fingerprint,  # as `tag` stamps every row: which model answered
        }

    def suggest_flagged(
        self, texts: list[str], limit: int = 10, threshold: float | None = 0.0
    ) -> list[tuple[list[dict], str | None]]:
        """For each text, Annif's results: the fields scoring at least `threshold`, best first, at most `limit`;
        none for a text the model abstains on (in another language, or out of scope), as `suggest` gives it, with
        the model's flag saying why ("language", "out-of-scope"; "too-short" for a text of a few words
        left with none; None where it did not abstain).
        `threshold` None: the fields the model accepts by its own per-field thresholds and rules. A text with
        nothing to read once parsed (a page of menus alone, invisible characters) is not judged: no results and no
        flag, as a blank text gets (`classifier suggest` calls it a file with no text)."""
        from classifier.corpus.release import parse_release  # on first use: keeps start-up light

        # Annif's meaning, as `suggest --limit --threshold` has it: the threshold always applies here (default 0),
        # held against the scores as answered (rounded to 4 places), as `apply_cutoffs` holds it everywhere.
        model_texts = [parse_release(text).model_text for text in texts]
        readable = [i for i, text in enumerate(model_texts) if text.strip()]
        with self.lock:
            reading = self.model.read([model_texts[i] for i in readable], limit, threshold)
        labels = self.model.labels
        out: list[tuple[list[dict], str | None]] = [([], None) for _ in texts]
        for i, row, keep, flag in zip(readable, reading.proba, reading.accepted, reading.flags):
            order = sorted(range(len(labels)), key=lambda j: (-row[j], j))
            out[i] = ([self.subjects[labels[j]].result(row[j]) for j in order if keep[j]], flag or None)
        return out

    def accepted(self, text: str) -> list[str]:
        """The fields the model accepts for a text, as `explain`'s `labels` gives them, without the evidence."""
        with self.lock:
            return list(self.model.suggest(text).labels)

    def explain(self, text: str, top: int = 5, cutoffs: tuple[int, float | None] | None = None) -> dict:
        """Every field's score with the model's decision, its flag, and for accepted fields the terms behind it and
        the field's taxonomy phrases the text names (`named`); with the title and body the model read, for showing
        the terms in place. With `cutoffs` (a limit and a threshold, as `suggest_flagged` takes them), the fields
        accepted are those `suggest_flagged` gives, and only they are listed."""
        from classifier.corpus.release import parse_release  # on first use: keeps start-up light

        release = parse_release(text)
        with self.lock:
            if cutoffs is None:
                suggestion = self.model.suggest(text)
            else:
                suggestion = self.model.suggest(text, limit=cutoffs[0], threshold=cutoffs[1])
        if not suggestion.error:
            # The evidence, eight times the scoring of a long report, is found without holding the project: a
            # 2 MB text held every other client's suggest for 11 s. The model's table of words keeps its own lock
            # from looking words up to gathering what each block needs of them.
            (suggestion,) = self.model.with_evidence([suggestion], [release.model_text])
        flags = self.model.flags
        evidence, named = suggestion.evidence or {}, suggestion.named or {}
        chosen = set(suggestion.labels)
        listed = [item for item in suggestion.scores if cutoffs is None or item[0] in chosen]
        results = []
        for label, score in listed:
            entry = {**self.subjects[label].result(score), "accepted": label in suggestion.labels}
            if label in flags:
                entry["flag"] = flags[label]
            if label in evidence:
                entry["evidence"] = [
                    {"term": term, "weight": round(float(weight), 4)} for term, weight in evidence[label][:top]
                ]
            if label in named:
                entry["named"] = list(named[label])
            results.append(entry)
        return {
            "title": suggestion.title,
            "body": release.body,
            "labels": list(suggestion.labels),
            "flag": suggestion.flag,
            **({"scope": dict(suggestion.scope)} if suggestion.scope is not None else {}),  # why it was flagged
            "results": results,
        }

    def card(self) -> dict:
        """The bundle's model card (MODEL.md) and the parts of model.json a reader of the card wants."""
        meta = self.model.metadata
        keys = (
            "classifier_version",
            "labels",
            "label_counts",
            "cv_metrics",
            "zero_shot_fields",
            "low_confidence_fields",
            "training_data",
            "seed",
            "versions",
        )
        return {
            "project_id": self.id,
            "card": self.card_text,
            "metadata": {key: meta[key] for key in keys if key in meta},
            "model": self.model.fingerprint,
            "thresholds": dict(zip(self.model.labels, (round(float(t), 4) for t in self.model.thresholds))),
            "flags": self.model.flags,
        }


def _card_text(path: Path) -> str | None:
    """A bundle's MODEL.md as the command line reads a text file (by its byte-order mark, else UTF-8, else
    Windows-1252): a card edited by hand and saved in another encoding is shown, not a traceback at start; one of
    binary data is no card (None)."""
    from classifier.io.textio import InputError, decode_head  # on first use: keeps start-up light

    with open(path, "rb") as handle:
        try:
            return decode_head(handle, str(path))[0]
        except InputError:
            return None


def vocabulary_info(taxonomy: Taxonomy) -> dict:
    return {"vocab_id": VOCABULARY_ID, "languages": [LANGUAGE], "size": len(taxonomy.fields), "loaded": True}


def taxonomy_tree(taxonomy: Taxonomy) -> dict:
    """The fields by OSCE dimension, with the URI and notation each subject carries."""
    subjects = subjects_of(taxonomy)
    return {
        "vocab_id": VOCABULARY_ID,
        "dimensions": [
            {
                "id": dimension,
                "name": taxonomy.dimensions[dimension],
                "fields": [
                    {
                        "uri": subjects[f.name].uri,
                        "notation": f.id,
                        "label": f.name,
                        "description": f.description,
                        "aliases": list(f.aliases),
                        "subtopics": list(f.subtopics),
                        "keywords": list(f.keywords),
                    }
                    for f in fields
                ],
            }
            for dimension, fields in taxonomy.by_dimension().items()
        ],
    }


def load_projects(model_dirs: list[Path | None], taxonomy: Taxonomy) -> dict[str, Project]:
    """Each bundle loaded once, under its directory's name; None is the shipped model. Two bundles whose
    directories share a name are refused, since a client could not tell them apart."""
    from classifier.bundle.storage import load_model  # on first use: keeps start-up light
    from classifier.paths import default_model_path  # on first use: keeps start-up light

    projects: dict[str, Project] = {}
    for path in model_dirs or [None]:
        folder = path if path is not None else default_model_path()
        project_id = project_id_for(folder)
        if project_id in projects:
            raise ProjectError(
                f"{folder}: a second model named {project_id!r}; give each --model a directory of its own name"
            )
        projects[project_id] = Project(project_id, load_model(path, taxonomy), taxonomy)
    return projects
