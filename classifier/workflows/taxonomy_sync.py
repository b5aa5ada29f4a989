"""Keep taxonomy.yaml in step with the site: diff it against a page's Fields of work menu, and apply the diff.

Applying keeps the file's comments, order and layout (ruamel.yaml round trip). A renamed field keeps its
id, and its old name becomes an alias, so older training data and bundles still map; a new field is
inserted where the menu has it, marked for a description and keywords.
"""

from __future__ import annotations

import codecs
import copy
import difflib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from classifier.corpus.release import menu_groups
from classifier.errors import ClassifierError
from classifier.io.outputs import check_file_target
from classifier.taxonomy.fields import Taxonomy, TaxonomyError, normalize_label

FIELDS_MENU = "fields of work"
RENAME_SIMILARITY = 0.6
NEW_FIELD_NOTE = "new on the site: write its description and keywords; check its dimension"


class SyncError(ClassifierError, ValueError):
    """The page has no Fields of work menu, or a --rename names no field; one line naming the input."""


def fields_menu(page: str, name: str = "<page>") -> list[str]:
    """The entries of the page's Fields of work menu, in the site's order."""
    for heading, items in menu_groups(page):
        if normalize_label(heading) == FIELDS_MENU and items:
            return items
    raise SyncError(f"{name}: no 'Fields of work' menu found (is it a scraped OSCE page with its navigation?)")


@dataclass
class TaxonomyDiff:
    """How the site's menu differs from the taxonomy."""

    menu: list[str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str, float]] = field(default_factory=list)  # (old name, new name, similarity)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.renamed)

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "removed": self.removed,
            "renamed": [{"from": old, "to": new, "similarity": round(score, 3)} for old, new, score in self.renamed],
            "unchanged": len(self.unchanged),
        }


def name_similarity(a: str, b: str) -> float:
    """How alike two field names are, in [0, 1]: the better of character and word overlap."""
    a, b = normalize_label(a), normalize_label(b)
    characters = difflib.SequenceMatcher(None, a, b).ratio()
    words_a, words_b = set(re.findall(r"\w+", a)), set(re.findall(r"\w+", b))
    words = len(words_a & words_b) / len(words_a | words_b) if words_a | words_b else 0.0
    return max(characters, words)


def diff_taxonomy(
    menu: list[str],
    taxonomy: Taxonomy,
    renames: dict[str, str] | None = None,
    min_similarity: float = RENAME_SIMILARITY,
) -> TaxonomyDiff:
    """Added, removed and probably renamed fields between the site's menu and `taxonomy`.

    A menu entry matching a field's name is unchanged; one matching a field's alias is that field
    renamed back to the alias. Of the rest, an unmatched entry and an unmatched field whose names are
    at least `min_similarity` alike are a rename (most alike first); `renames` (old name to new) forces
    pairs. Entries listed in the taxonomy's `not_fields` are ignored.
    """
    ignored = {normalize_label(name) for name in taxonomy.not_fields}
    entries = [entry for entry in menu if normalize_label(entry) not in ignored]
    names = {normalize_label(f.name): f.name for f in taxonomy.fields}
    diff = TaxonomyDiff(menu=entries)
    matched: set[str] = set()
    unmatched: list[str] = []
    for entry in entries:
        key = normalize_label(entry)
        if key in names:
            diff.unchanged.append(names[key])
            matched.add(names[key])
            continue
        owner = taxonomy.resolve(entry)
        is_alias = owner is not None and key in {normalize_label(a) for a in taxonomy.field(owner).aliases}
        if is_alias and normalize_label(owner) not in {normalize_label(e) for e in entries}:
            diff.renamed.append((owner, entry, 1.0))
            matched.add(owner)
        else:
            unmatched.append(entry)
    for old, new in (renames or {}).items():
        if taxonomy.resolve(old) is None:
            raise SyncError(f"--rename {old}={new}: '{old}' is not a field (closest: '{taxonomy.closest(old)}')")
        if new not in unmatched:
            raise SyncError(f"--rename {old}={new}: '{new}' is not a new entry of the site's menu")
        if taxonomy.resolve(old) in matched:  # renamed, its data would be read as the new field's
            raise SyncError(
                f"--rename {old}={new}: '{taxonomy.resolve(old)}' is still in the site's menu; only a field gone from "
                "it can be renamed"
            )
        diff.renamed.append((taxonomy.resolve(old), new, name_similarity(old, new)))
        matched.add(taxonomy.resolve(old))
        unmatched.remove(new)
    gone = [f.name for f in taxonomy.fields if f.name not in matched]
    pairs = sorted(
        ((name_similarity(old, new), old, new) for old in gone for new in unmatched),
        key=lambda pair: (-pair[0], gone.index(pair[1]), unmatched.index(pair[2])),
    )
    for score, old, new in pairs:
        if score >= min_similarity and old in gone and new in unmatched:
            diff.renamed.append((old, new, score))
            gone.remove(old)
            unmatched.remove(new)
    diff.added = unmatched
    diff.removed = gone
    return diff


def format_diff(diff: TaxonomyDiff, source: str, taxonomy: str = "taxonomy.yaml") -> str:
    """The diff for people, one change a line; `taxonomy` names the file compared with the menu."""
    lines = [f"{len(diff.menu)} fields in the menu of {source}; {len(diff.unchanged)} unchanged"]
    lines += [f"+ added:   {name}" for name in diff.added]
    lines += [f"- removed: {name}" for name in diff.removed]
    lines += [
        f"~ renamed: {old} -> {new} (similarity {score:.2f}; the old name stays as an alias)"
        for old, new, score in diff.renamed
    ]
    if not diff.changed:
        lines.append(f"{taxonomy} is in step with the site")
    return "\n".join(lines)


def apply_diff(path: str | Path, diff: TaxonomyDiff) -> str:
    """taxonomy.yaml at `path` with `diff` applied, as text: comments, order and layout kept."""

    from ruamel.yaml.comments import CommentedMap  # taxonomy sync --write only

    yaml = _round_trip_yaml()
    data = yaml.load(Path(path).read_text(encoding="utf-8"))
    entries = data["fields"]
    tail = _comments_on_entries(data, entries)
    gap = [_comment_line("\n")] if _spaced(entries) else []
    by_name = {entry["name"]: entry for entry in entries}
    for old, new, _ in diff.renamed:
        entry = by_name[old]
        entry["name"] = new
        aliases = entry.get("aliases")
        if aliases is None:
            entry["aliases"] = aliases = _flow([])
        kept = [a for a in aliases if normalize_label(a) != normalize_label(new)]
        if normalize_label(old) not in {normalize_label(a) for a in kept}:
            kept.append(old)
        aliases.clear()
        aliases.extend(kept)
    for name in diff.removed:
        _remove_entry(entries, entries.index(by_name[name]))
    ids = {entry["id"] for entry in entries}
    for name in diff.added:
        _drop_spelling(entries, name)
        entry = CommentedMap()
        entry["name"] = name
        entry["id"] = _unique_slug(name, ids)
        entry["dimension"] = _likely_dimension(name, entries, data)
        entry["description"] = ""
        entry["keywords"] = _flow([])
        entry["aliases"] = _flow([])
        entry["subtopics"] = _flow([])
        entry.yaml_add_eol_comment(NEW_FIELD_NOTE, "name")
        position = _menu_position(name, diff.menu, entries)
        _insert_entry(entries, position, entry, gap)
    if entries:
        _put_following(entries[-1], tail)
    elif tail:  # no entry left: the lines after the list follow `fields: []`
        _put_after_key(data, "fields", tail)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def sync_taxonomy(
    page_path: str | Path, taxonomy_path: str | Path, renames=None, write: bool = False, removals=()
) -> TaxonomyDiff:
    """Diff taxonomy.yaml against the Fields of work menu of a scraped page; with `write`, apply it in place.

    A field gone from the menu while another is new may have been renamed past what the similarity finds: with
    `write`, it is removed (with its description and keywords) only if named in `removals`, and otherwise the
    write is refused, asking for --rename or --remove."""
    from classifier.io.textio import atomic_write, read_text  # on first use: keeps start-up light

    if isinstance(removals, str):  # one field's name, not its letters
        removals = [removals]
    if renames is not None and not isinstance(renames, Mapping):
        raise TypeError(f"renames: expected a dict of old name to new name, not {type(renames).__name__}")
    taxonomy = Taxonomy.from_yaml(taxonomy_path)
    diff = diff_taxonomy(fields_menu(read_text(page_path), str(page_path)), taxonomy, renames)
    confirmed = {name: taxonomy.resolve(name) for name in removals}  # a field's name in any spelling or alias
    for name, resolved in confirmed.items():  # a --remove that removes nothing would be a silent no-op
        if (resolved or name) not in diff.removed:
            where = "is still in the site's menu" if resolved else "is not a field"
            raise SyncError(f"--remove '{name}': '{name}' {where}; only a field gone from the menu can be removed")
    unconfirmed = [name for name in diff.removed if name not in confirmed.values()] if diff.added else []
    if write and unconfirmed:
        old = unconfirmed[0]
        new = max(diff.added, key=lambda entry: name_similarity(old, entry))  # the likeliest new name, not the first
        raise SyncError(
            f"{taxonomy_path}: '{old}' is gone from the menu while '{new}' is new; if it was renamed, pass "
            f"--rename '{old}={new}' (its description, keywords and id are kept); to drop it, pass --remove '{old}'; "
            "nothing written"
        )
    if write and diff.changed:
        check_file_target(taxonomy_path)  # a symlink would be replaced by a file, its target left as it was
        text = apply_diff(taxonomy_path, diff)
        try:
            import yaml  # only when a YAML file is read

            Taxonomy.from_dict(yaml.safe_load(text), source=str(taxonomy_path))
        except TaxonomyError as exc:  # never write a file the tool itself would refuse
            raise SyncError(f"{taxonomy_path}: the synced taxonomy would not load ({exc}); nothing written") from None
        raw = Path(taxonomy_path).read_bytes()
        # The file's own line ends and byte-order mark, which the round trip reads past: a file edited on Windows
        # stays CRLF throughout, not LF where the tool wrote it.
        crlf = raw.count(b"\r\n") * 2 > raw.count(b"\n")
        bom = "\ufeff" if raw.startswith(codecs.BOM_UTF8) else ""
        with atomic_write(taxonomy_path, newline="\r\n" if crlf else "\n") as handle:
            handle.write(bom + text.removeprefix("\ufeff"))
    return diff


def _round_trip_yaml():
    from ruamel.yaml import YAML  # taxonomy sync --write only

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap lines the file already has
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _flow(items):
    from ruamel.yaml.comments import CommentedSeq  # taxonomy sync --write only

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _comments_on_entries(data, entries) -> str:
    """Put the blank lines and comments above each entry on that entry, as the comment before its item.

    ruamel keeps those above the first entry on the `fields` key, and those above a later one after the last value of
    the entry before whenever that value is a scalar or a block collection; there they would stay with the previous
    entry when fields are inserted or removed. The lines after the last entry (above what follows the list) are
    returned, to be put back after the last entry once the list is edited."""
    first = data.ca.items.get("fields")
    if first and first[3]:
        _before(entries, 0)[:0] = first[3]
        first[3] = None
        if entries.ca.comment:
            entries.ca.comment[1] = None
    tail = ""
    for i, entry in enumerate(entries):
        following = _take_following(entry)
        if i + 1 < len(entries):
            _before(entries, i + 1)[:0] = [_comment_line(line) for line in following.splitlines(keepends=True)]
        else:
            tail = following
    return tail


def _before(entries, i: int) -> list:
    """The comment lines before entry `i`, as a list to edit in place."""
    slots = entries.ca.items.setdefault(i, [None, None, None, None])
    if slots[1] is None:
        slots[1] = []
    return slots[1]


def _comment_line(line: str):
    from ruamel.yaml.error import CommentMark  # taxonomy sync --write only
    from ruamel.yaml.tokens import CommentToken  # taxonomy sync --write only

    text = line.lstrip(" ")
    return CommentToken(text if text.strip() else "\n", CommentMark(len(line) - len(text)))


def _last_slot(node):
    """The comment slots of `node`'s last scalar or flow value (descending into block collections), the index of
    the one holding what follows that value, and the value."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # taxonomy sync --write only

    while True:
        key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        value = node[key]
        if not (isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style()):
            slots = node.ca.items.setdefault(key, [None, None, None, None])
            return slots, 2 if isinstance(node, CommentedMap) else 0, value
        node = value


def _take_following(entry) -> str:
    """Remove from the end of `entry` the blank lines and comments after its last line, and return them as text."""
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString  # taxonomy sync --write only
    from ruamel.yaml.tokens import CommentToken  # taxonomy sync --write only

    slots, index, value = _last_slot(entry)
    token = slots[index]
    if token is None:
        return ""
    text = token.value
    if isinstance(value, (FoldedScalarString, LiteralScalarString)):  # a block scalar ends with its own line break
        own, following = "", text
    else:  # the comment at the end of the value's line, if any, and what follows that line
        own, _, following = text.partition("\n")
    slots[index] = CommentToken(own + "\n", token.start_mark) if own.strip() else None
    return following


def _put_following(entry, following: str) -> None:
    """Put `following` (text from _take_following) back after the last line of `entry`."""
    from ruamel.yaml.error import CommentMark  # taxonomy sync --write only
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString  # taxonomy sync --write only
    from ruamel.yaml.tokens import CommentToken  # taxonomy sync --write only

    if not following:
        return
    slots, index, value = _last_slot(entry)
    if slots[index] is not None:
        own, mark = slots[index].value, slots[index].start_mark
    else:
        own = "" if isinstance(value, (FoldedScalarString, LiteralScalarString)) else "\n"
        mark = CommentMark(0)
    slots[index] = CommentToken(own + following, mark)


def _put_after_key(data, key: str, following: str) -> None:
    """Put `following` (text from _take_following) after the line of `key` in mapping `data`, as the comment before
    the key after it (where ruamel keeps the lines after a flow value such as `[]`)."""
    keys = list(data)
    if keys.index(key) + 1 < len(keys):
        slots = data.ca.items.setdefault(keys[keys.index(key) + 1], [None, None, None, None])
        slots[1] = [_comment_line(line) for line in following.splitlines(keepends=True)] + (slots[1] or [])


def _spaced(entries) -> bool:
    """Whether the entries are separated by a blank line."""
    return any(slots[1] and slots[1][0].value == "\n" for i, slots in entries.ca.items.items() if i > 0)


def _split_blank(lines: list) -> tuple[list, list]:
    """The leading blank lines of comment `lines`, and the rest."""
    n = next((i for i, line in enumerate(lines) if line.value != "\n"), len(lines))
    return lines[:n], lines[n:]


def _insert_entry(entries, position: int, entry, gap: list) -> None:
    """Insert `entry` before the comment lines of the entry at `position`, after a blank line if the others are."""
    entries.insert(position, entry)  # the comments before the entries from `position` on move down with them
    if position == 0 and len(entries) > 1:  # blank lines at the start of the list stay there
        lead, rest = _split_blank(_before(entries, 1))
        entries.ca.items[0] = [None, lead, None, None]
        entries.ca.items[1][1] = copy.deepcopy(gap) + rest
    elif position == 0:  # the first entry of a list left empty: the blank lines kept by _remove_entry go above it
        kept = entries.ca.items.pop(1, None)
        entries.ca.items[0] = [None, (kept and kept[1]) or [], None, None]
    else:
        entries.ca.items[position] = [None, copy.deepcopy(gap), None, None]


def _remove_entry(entries, position: int) -> None:
    """Remove the entry at `position` with the comment lines above it; blank lines at the start of the list stay."""
    if position == 0 and len(entries) > 1:
        lead, _ = _split_blank(_before(entries, 0))
        _, rest = _split_blank(_before(entries, 1))
        entries.ca.items[1][1] = lead + rest
    elif position == 0:  # the last entry left: its blank lines are kept for an entry added in its place
        lead, _ = _split_blank(_before(entries, 0))
        del entries[0]
        if lead:
            entries.ca.items[0] = [None, lead, None, None]
        return
    del entries[position]


def _unique_slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", normalize_label(name)).strip("-") or "field"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _drop_spelling(entries, name: str) -> None:
    """A new field may be a former alias or sub-topic of another one (the site promoted it): move it out."""
    key = normalize_label(name)
    for entry in entries:
        for kind in ("aliases", "subtopics"):
            values = entry.get(kind)
            if values:
                kept = [v for v in values if normalize_label(v) != key]
                if len(kept) != len(values):
                    values.clear()
                    values.extend(kept)


def _likely_dimension(name: str, entries, data) -> str:
    """The dimension of the field whose name, keywords and description share most words with `name`."""
    words = set(re.findall(r"\w{3,}", normalize_label(name)))
    best, best_overlap = None, 0
    for entry in entries:
        text = normalize_label(
            " ".join([entry["name"], " ".join(entry.get("keywords") or []), entry.get("description") or ""])
        )
        overlap = len(words & set(re.findall(r"\w{3,}", text)))
        if overlap > best_overlap:
            best, best_overlap = entry["dimension"], overlap
    return best or next(iter(data["dimensions"]))


def _menu_position(name: str, menu: list[str], entries) -> int:
    """Index after the field that precedes `name` in the menu (the site's order), else the start."""
    position = {normalize_label(entry["name"]): i for i, entry in enumerate(entries)}
    for previous in reversed(menu[: menu.index(name)]):
        if normalize_label(previous) in position:
            return position[normalize_label(previous)] + 1
    return 0
