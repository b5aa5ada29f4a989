"""The field guide: what each field means, in our own words, with example sentences we wrote ourselves.

field_guide.yaml sits beside taxonomy.yaml. For each field it holds a short guide, typical actors and
activities, and a few example sentences in the style of a release's opening sentence. The examples
are written, not real items: training may use them as extra positives of their field (and of no
other field: they say nothing about the others), but they are never scored, so every metric is
computed on real items only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from classifier.paths import default_field_guide_path
from classifier.taxonomy.fields import Taxonomy, TaxonomyError


@dataclass(frozen=True)
class GuideEntry:
    field: str
    guide: str = ""
    actors: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldGuide:
    entries: tuple[GuideEntry, ...]
    sha256: str = ""
    path: str = ""
    unknown_fields: tuple[str, ...] = ()  # names in the file that the taxonomy does not know

    @classmethod
    def from_yaml(cls, path: str | Path | None = None, taxonomy: Taxonomy | None = None) -> FieldGuide:
        """Read the guide; field names (or aliases) resolve through `taxonomy`; names it does not know are
        listed in `unknown_fields` and left out, so a renamed field costs its examples, not the training."""
        import yaml  # only when a YAML file is read

        from classifier.taxonomy.fields import default_taxonomy  # on first use: keeps start-up light

        taxonomy = taxonomy or default_taxonomy()
        path = Path(path) if path is not None else default_field_guide_path()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise TaxonomyError(f"{path}: cannot read the field guide: {exc.strerror}") from None
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:  # as the taxonomy's: the line if the parser marks one, and one line always
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise TaxonomyError(f"{path}{where}: malformed YAML: {problem}") from None
        if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
            raise TaxonomyError(f"{path}: expected a mapping with a 'fields' list")
        entries, unknown, seen = [], [], set()
        for position, entry in enumerate(data["fields"], 1):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise TaxonomyError(f"{path}: entry #{position}: expected a mapping with a 'name'")
            name = taxonomy.resolve(entry["name"])
            if name is None:
                unknown.append(entry["name"])
                continue
            if name in seen:
                raise TaxonomyError(f"{path}: field '{name}' has two entries")
            seen.add(name)
            lists = {}
            for key in ("actors", "activities", "examples"):
                value = entry.get(key) or []
                if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                    raise TaxonomyError(f"{path}: field '{name}': '{key}' must be a list of texts")
                lists[key] = tuple(" ".join(v.split()) for v in value)
            entries.append(GuideEntry(name, " ".join(str(entry.get("guide") or "").split()), **lists))
        return cls(tuple(entries), hashlib.sha256(raw).hexdigest(), str(path), tuple(unknown))

    def written_examples(self) -> list[tuple[str, str]]:
        """(example sentence, field name) of every field, in file order."""
        return [(example, entry.field) for entry in self.entries for example in entry.examples]
