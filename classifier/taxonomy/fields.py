"""The label taxonomy: OSCE fields of work, read and validated from taxonomy.yaml."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import ClassifierError
from classifier.paths import default_taxonomy_path, shipped_taxonomy_path

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_BYTES = 16 << 20  # a taxonomy file; the shipped one is about 30 KB


class TaxonomyError(ClassifierError, ValueError):
    """taxonomy.yaml is malformed or inconsistent; the message names the file and the entry."""


@dataclass(frozen=True)
class Field:
    name: str
    id: str
    dimension: str
    description: str
    aliases: tuple[str, ...] = ()
    subtopics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    description_source: str | None = None


# A field's URI: this prefix and its id (its notation), as the HTTP service names subjects.
SUBJECT_URI_PREFIX = "urn:osce-field-of-work:"


def normalize_label(text: str) -> str:
    """Case-, space- and dash-insensitive key used to match label spellings: also of characters written in another
    width or form (NFKC: "Ｐｏｌｉｃｉｎｇ") and without invisible format characters (a zero-width space)."""
    text = _plain(text).replace("&", " and ")
    if not text.isascii():  # any dash reads as a hyphen: an en or em dash, U+2010 HYPHEN, a non-breaking one (U+2011)
        text = "".join("-" if unicodedata.category(c) == "Pd" else c for c in text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def _plain(text: str) -> str:
    """`text` in its NFKC form, without format characters (a zero-width space, a byte-order mark)."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")


@dataclass(frozen=True)
class Taxonomy:
    fields: tuple[Field, ...]
    dimensions: dict[str, str]
    sha256: str = ""
    path: str = ""
    not_fields: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, path: str | Path | None = None) -> Taxonomy:
        path = Path(path) if path is not None else default_taxonomy_path()
        from classifier.io.textio import InputError, open_regular  # on first use: keeps start-up light

        try:
            with open_regular(path) as handle:  # a FIFO or device named as the taxonomy is refused, never read
                raw = handle.read(_MAX_BYTES + 1)
        except InputError as exc:
            raise TaxonomyError(f"{path}: cannot read taxonomy: {str(exc).removeprefix(f'{path}: ')}") from None
        except OSError as exc:
            raise TaxonomyError(f"{path}: cannot read taxonomy: {exc.strerror}") from None
        if len(raw) > _MAX_BYTES:  # refused whole: a cut file could lose its last fields without a word
            raise TaxonomyError(f"{path}: cannot read taxonomy: more than {_MAX_BYTES:,} bytes")
        sha256 = hashlib.sha256(raw).hexdigest()
        data = _parsed_copy(sha256)
        if data is None:
            data = _parse_yaml(raw, path)
        return cls.from_dict(data, source=str(path), sha256=sha256)

    @classmethod
    def from_dict(cls, data: object, source: str = "<taxonomy>", sha256: str = "") -> Taxonomy:
        if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
            raise TaxonomyError(f"{source}: expected a mapping with a 'fields' list")
        dimensions = data.get("dimensions") or {}
        if not isinstance(dimensions, dict):
            raise TaxonomyError(f"{source}: 'dimensions' must be a mapping of id to name")
        fields = tuple(
            _parse_field(entry, position, dimensions, source) for position, entry in enumerate(data["fields"], 1)
        )
        not_fields = data.get("not_fields") or []
        if not isinstance(not_fields, list) or not all(isinstance(v, str) for v in not_fields):
            raise TaxonomyError(f"{source}: 'not_fields' must be a list of names")
        taxonomy = cls(
            fields=fields, dimensions=dict(dimensions), sha256=sha256, path=source, not_fields=tuple(not_fields)
        )
        taxonomy._check_unique(source)
        return taxonomy

    def _check_unique(self, source: str) -> None:
        seen_ids: dict[str, str] = {}
        owner: dict[str, str] = {}
        names: set[str] = set()
        for field in self.fields:
            if normalize_label(field.name) in names:
                raise TaxonomyError(f"{source}: field '{field.name}': name '{field.name}' is used by another field")
            names.add(normalize_label(field.name))
            if field.id in seen_ids:
                raise TaxonomyError(
                    f"{source}: field '{field.name}': id '{field.id}' is already used by '{seen_ids[field.id]}'"
                )
            seen_ids[field.id] = field.name
            for kind, spelling in (
                [("name", field.name)]
                + [("alias", a) for a in field.aliases]
                + [("subtopic", s) for s in field.subtopics]
            ):
                key = normalize_label(spelling)
                if key in owner and owner[key] != field.name:
                    raise TaxonomyError(
                        f"{source}: field '{field.name}': {kind} '{spelling}' is already used by '{owner[key]}'"
                    )
                owner[key] = field.name
        object.__setattr__(self, "_lookup", owner)
        object.__setattr__(self, "_by_notation", {field.id: field.name for field in self.fields})

    @property
    def labels(self) -> list[str]:
        """Label names in taxonomy order: the model's output columns."""
        return [field.name for field in self.fields]

    def field(self, label: str) -> Field:
        for field in self.fields:
            if field.name == label:
                return field
        raise KeyError(label)

    def resolve(self, spelling: str) -> str | None:
        """The field name for a name, alias or sub-topic spelling, or for the field's notation (its id, "human-rights")
        or URI ("urn:osce-field-of-work:human-rights"), as the HTTP service gives them; None if unknown."""
        found = self._lookup.get(normalize_label(spelling))
        if found is not None:
            return found
        # A notation is a code, matched exactly (a field's id may read as an old name of it: "youth" for a field
        # renamed "Young people" must not take "Youth" for it); a URI's "urn:...:" prefix in any case (RFC 8141).
        code = _plain(spelling).strip()
        if code[: len(SUBJECT_URI_PREFIX)].casefold() == SUBJECT_URI_PREFIX:
            code = code[len(SUBJECT_URI_PREFIX) :]
        return self._by_notation.get(code)

    def closest(self, spelling: str) -> str:
        """The field whose name, alias or sub-topic is most similar to an unknown spelling."""
        key = normalize_label(spelling)
        match = difflib.get_close_matches(key, list(self._lookup), n=1, cutoff=0.0)
        return self._lookup[match[0]] if match else self.fields[0].name

    def tree(self) -> str:
        """The fields as a tree by OSCE dimension, with their sub-topics, for a terminal."""
        lines = []
        for dimension, fields in self.by_dimension().items():
            lines.append(self.dimensions[dimension])
            for i, field in enumerate(fields):
                branch = "└──" if i == len(fields) - 1 else "├──"
                subtopics = f"  (sub-topics: {', '.join(field.subtopics)})" if field.subtopics else ""
                lines.append(f"  {branch} {field.name}{subtopics}")
        return "\n".join(lines)

    def by_dimension(self) -> dict[str, list[Field]]:
        grouped: dict[str, list[Field]] = {dim: [] for dim in self.dimensions}
        for field in self.fields:
            grouped[field.dimension].append(field)
        return grouped


def _parse_field(entry: object, position: int, dimensions: dict, source: str) -> Field:
    label = f"field #{position}"
    if not isinstance(entry, dict):
        raise TaxonomyError(f"{source}: {label}: expected a mapping, got {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise TaxonomyError(f"{source}: {label}: missing 'name'")
    if ";" in name:  # labels in a CSV cell are ";"-separated: such a name could never be given there
        raise TaxonomyError(f"{source}: {label}: name {name!r} holds ';', which separates the labels of a table cell")
    label = f"field '{name}'"
    field_id = entry.get("id")
    if not isinstance(field_id, str) or not _SLUG.match(field_id):
        raise TaxonomyError(f"{source}: {label}: 'id' must be a lowercase slug like 'rule-of-law', got {field_id!r}")
    dimension = entry.get("dimension")
    if dimension not in dimensions:
        known = ", ".join(dimensions) or "none declared"
        raise TaxonomyError(f"{source}: {label}: unknown dimension {dimension!r} (known: {known})")
    description = entry.get("description") or ""
    if not isinstance(description, str):
        raise TaxonomyError(f"{source}: {label}: 'description' must be text")
    lists = {}
    for key in ("aliases", "subtopics", "keywords"):
        value = entry.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise TaxonomyError(f"{source}: {label}: '{key}' must be a list of names")
        lists[key] = tuple(value)
    return Field(
        name=name.strip(),
        id=field_id,
        dimension=dimension,
        description=" ".join(description.split()),
        aliases=lists["aliases"],
        subtopics=lists["subtopics"],
        keywords=lists["keywords"],
        description_source=entry.get("description_source"),
    )


def _parse_yaml(raw: bytes, path: Path) -> object:
    """The data of a taxonomy file's bytes; TaxonomyError naming the file and line where they are not YAML."""
    import yaml  # only when a YAML file is parsed

    try:
        return yaml.safe_load(raw)  # not libyaml's parser: it accepts tabs and marks this one refuses
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TaxonomyError(f"{path}{where}: malformed YAML: {problem}") from None


# The shipped taxonomy.yaml as YAML parses it, kept as JSON with the sha256 of the bytes it was parsed from: a file
# with those very bytes, wherever it is, has this data, read in a millisecond where the pure-Python YAML parser takes
# about 0.1 CPU s, an eighth of `classifier suggest`. Any other file is parsed. Part of the package, never written
# at run time; tests/test_taxonomy.py checks it against taxonomy.yaml, and `write_parsed_copy()` remakes it.
PARSED_COPY = Path(__file__).with_name("parsed_taxonomy.json")


def _parsed_copy(sha256: str) -> object | None:
    """The data of the taxonomy file whose bytes have this sha256, if it is the one PARSED_COPY holds."""
    import json  # a light module; json here keeps it off every start-up that reads no taxonomy

    try:
        copy = json.loads(PARSED_COPY.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or damaged: the file is parsed, as any other
        return None
    return copy.get("data") if isinstance(copy, dict) and copy.get("sha256") == sha256 else None


def write_parsed_copy() -> Path:
    """Remake PARSED_COPY from the shipped taxonomy file (`shipped_taxonomy_path()`, whatever CLASSIFIER_TAXONOMY
    says), after editing it; refused (TaxonomyError) if it is not a valid taxonomy or its data would not come back
    the same from JSON."""
    import json  # as in _parsed_copy

    path = shipped_taxonomy_path()
    raw = path.read_bytes()
    data = _parse_yaml(raw, path)
    Taxonomy.from_dict(data, source=str(path))  # valid, or the error says where not
    try:
        # ASCII with escapes: a lone surrogate (a "\ud800" escape in the YAML) is written as it reads back.
        text = json.dumps({"sha256": hashlib.sha256(raw).hexdigest(), "data": data}, indent=1)
        same = json.loads(text)["data"] == data  # keys that are not strings would come back as strings
    except (TypeError, ValueError):  # values JSON has no type for: a date, a set
        same = False
    if not same:
        raise TaxonomyError(f"{path}: its data does not survive JSON; it is parsed at every start instead")
    from classifier.io.textio import atomic_write  # only when the copy is remade

    with atomic_write(PARSED_COPY) as handle:  # whole or not at all
        handle.write(text + "\n")
    return PARSED_COPY


_default: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package (cached)."""
    global _default
    if _default is None:
        _default = Taxonomy.from_yaml()
    return _default


def as_taxonomy(taxonomy: Taxonomy | str | os.PathLike | None = None) -> Taxonomy:
    """A taxonomy as every function taking one takes it: a Taxonomy, the path of a taxonomy.yaml (str or
    os.PathLike, read here), or None for the shipped one; anything else is a TypeError naming the argument."""
    if taxonomy is None:
        return default_taxonomy()
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    if isinstance(taxonomy, (str, os.PathLike)):
        return Taxonomy.from_yaml(taxonomy)
    raise TypeError(f"taxonomy: expected a Taxonomy or the path of a taxonomy.yaml, not {type(taxonomy).__name__}")
