import hashlib
from pathlib import Path

import pytest

from classifier.taxonomy.fields import Taxonomy, TaxonomyError

from conftest import ROOT


def site_menu_fields(menu_lines):
    start = menu_lines.index("Fields of work") + 1
    names = []
    for line in menu_lines[start:]:
        if not line.startswith("- "):
            break
        names.append(line[2:])
    return names


def test_fields_are_the_site_menu_in_order_without_site_sections(taxonomy, menu_lines):
    menu = site_menu_fields(menu_lines)
    assert menu[-2:] == ["Field operations", "Projects"]
    assert taxonomy.labels == menu[:-2]
    assert len(taxonomy.labels) == 23


def test_every_field_has_id_dimension_description_and_keywords(taxonomy):
    for field in taxonomy.fields:
        assert field.dimension in taxonomy.dimensions
        assert 2 <= len(field.description.split(". ")) <= 3, field.name
        assert len(field.keywords) >= 10 and len(set(field.keywords)) == len(field.keywords), field.name
        assert field.description_source.startswith("http"), field.name
    assert "election observation mission" in taxonomy.field("Elections").keywords
    assert len({field.id for field in taxonomy.fields}) == 23


@pytest.mark.parametrize(
    "spelling, field",
    [
        ("Cyber/ICT security", "Cyber/ICT Security"),
        ("  elections ", "Elections"),
        ("Climate change", "Environmental activities"),
        ("Water management", "Environmental activities"),
        ("Environmental good governance", "Environmental activities"),
        ("Safety of journalists", "Media freedom and development"),
        ("Combating human trafficking", "Combating trafficking in human beings"),
        ("Roma & Sinti", "Roma and Sinti"),
        # Notations and URIs: without outer space or zero-width characters, a URI's prefix in any case (RFC 8141).
        ("human-rights", "Human rights"),
        ("rule-of-law ", "Rule of law"),
        ("urn:osce-field-of-work:human-rights", "Human rights"),
        ("URN:OSCE-Field-Of-Work:human-rights", "Human rights"),
        (" urn:osce-field-of-work:cyber-ict-security\u200b", "Cyber/ICT Security"),
        ("\uff30\uff4f\uff4c\uff49\uff43\uff49\uff4e\uff47", "Policing"),  # fullwidth
        ("Policing\u200b", "Policing"),
        ("\ufeffElections", "Elections"),
    ],
)
def test_resolve_names_aliases_and_subtopics(taxonomy, spelling, field):
    assert taxonomy.resolve(spelling) == field


def test_unknown_spelling_resolves_to_none_and_has_a_closest_field(taxonomy):
    assert taxonomy.resolve("Electons") is None
    assert taxonomy.closest("Electons") == "Elections"
    assert taxonomy.resolve("Field operations") is None
    assert taxonomy.resolve("urn:osce-field-of-work:") is None and taxonomy.resolve("human rights-") is None
    # A notation is a code: another case is another code, not a name (ids can read as old names of their field).
    assert taxonomy.resolve("Human-Rights") is None and taxonomy.resolve("urn:osce-field-of-work:HUMAN-RIGHTS") is None


def test_tree_groups_fields_by_dimension(taxonomy):
    tree = taxonomy.by_dimension()
    assert [f.name for f in tree["economic-environmental"]][:2] == ["Economic activities", "Environmental activities"]
    assert sum(len(fields) for fields in tree.values()) == 23


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """dimensions:
  human: Human dimension
fields:
  - {name: Elections, id: elections, dimension: human, description: "Votes. Observers."}
"""


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            "  - {name: Elections, id: polls, dimension: human}\n",
            "field 'Elections': name 'Elections' is used by another field",
        ),
        (
            "  - {name: Polls, id: elections, dimension: human}\n",
            "field 'Polls': id 'elections' is already used by 'Elections'",
        ),
        (
            "  - {name: Polls, id: polls, dimension: human, aliases: [elections]}\n",
            "field 'Polls': alias 'elections' is already used by 'Elections'",
        ),
        ("  - {name: Polls, id: polls, dimension: military}\n", "field 'Polls': unknown dimension 'military'"),
        ("  - {name: Polls, id: Polls Id, dimension: human}\n", "field 'Polls': 'id' must be a lowercase slug"),
    ],
)
def test_invalid_entries_are_named_in_one_line(tmp_path, extra, message):
    path = write(tmp_path, BASE + extra)
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, BASE + "  - {name: [unclosed\n")
    with pytest.raises(TaxonomyError, match=rf"^{path}:\d+: malformed YAML"):
        Taxonomy.from_yaml(path)


def test_a_tab_where_yaml_forbids_one_is_malformed_yaml(tmp_path):
    # libyaml's parser reads these files (the alias would become "Border\tsecurity"); YAML forbids a tab there, and
    # a taxonomy edited by hand must be refused with the line, not loaded with a changed field.
    raw = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    assert raw.count("Border security]") == 1
    for edited in (
        raw.replace(
            "[Border security and management, Border security]", "[Border security and management, Border\tsecurity]"
        ),
        raw.replace("  - name: Arms control", "  - name:\tArms control", 1),
    ):
        path = tmp_path / "taxonomy.yaml"
        path.write_text(edited, encoding="utf-8")
        with pytest.raises(TaxonomyError, match=r"taxonomy\.yaml:\d+: malformed YAML: found character '\\t'"):
            Taxonomy.from_yaml(path)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        Taxonomy.from_yaml(tmp_path / "nope.yaml")


def test_hash_follows_file_content(tmp_path):
    a = Taxonomy.from_yaml(write(tmp_path, BASE))
    b = Taxonomy.from_yaml(write(tmp_path, BASE + "# a comment\n"))
    assert a.labels == b.labels and a.sha256 != b.sha256
    assert Taxonomy.from_yaml(ROOT / "taxonomy.yaml").sha256 != a.sha256


# Made-up taxonomies read from dicts: each expected value below is written out by hand from the rules in
# docs and docstrings (names, aliases and sub-topics match regardless of case, spaces, dashes and "&").

SMALL = {
    "dimensions": {"human": "Human dimension", "politico": "Politico-military dimension", "empty": "Unused"},
    "fields": [
        {
            "name": "  Voting  ",
            "id": "voting",
            "dimension": "human",
            "description": "Ballots   and\n counts.",
            "aliases": ["Polls"],
            "subtopics": ["Ballot design", "Observers"],
            "keywords": ["ballot box"],
            "description_source": "https://example.org/voting",
        },
        {"name": "Border Watch", "id": "border-watch", "dimension": "politico", "subtopics": ["Customs"]},
        {"name": "Press", "id": "press", "dimension": "human"},
    ],
    "not_fields": ["Projects"],
}


def test_normalize_label_ignores_case_spaces_dashes_and_ampersands():
    from classifier.taxonomy.fields import normalize_label

    assert normalize_label("Roma & Sinti") == "roma and sinti"
    assert normalize_label("Anti\u2013Terror") == "anti-terror"
    assert normalize_label("Anti\u2014Terror") == "anti-terror"
    assert normalize_label("  Arms \t\n  Control ") == "arms control"
    assert normalize_label("STRASSE") == normalize_label("Straße") == "strasse"


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\ufe63", "\uff0d"])
def test_a_name_written_with_any_dash_resolves_as_with_a_hyphen(dash):
    """A word processor writes a hyphen that must not break a line as U+2011, typeset text as U+2010 (HYPHEN); pages
    and tables copied from them hold these. "Anti‐terrorism" with either is the alias "Anti-terrorism"."""
    from classifier.taxonomy.fields import default_taxonomy, normalize_label

    assert normalize_label(f"Anti{dash}Terrorism") == "anti-terrorism"
    taxonomy = default_taxonomy()
    assert taxonomy.resolve(f"Anti{dash}terrorism") == "Countering terrorism"
    assert taxonomy.resolve(f"Reform and co{dash}operation in the security sector") == (
        "Reform and co-operation in the security sector"
    )
    assert taxonomy.resolve(f"confidence{dash} and security{dash}building measures") == "Arms control"


def test_fields_read_from_a_mapping_keep_every_part():
    taxonomy = Taxonomy.from_dict(SMALL)
    assert taxonomy.labels == ["Voting", "Border Watch", "Press"]
    voting = taxonomy.field("Voting")
    assert voting.name == "Voting" and voting.id == "voting" and voting.dimension == "human"
    assert voting.description == "Ballots and counts."
    assert voting.aliases == ("Polls",)
    assert voting.subtopics == ("Ballot design", "Observers")
    assert voting.keywords == ("ballot box",)
    assert voting.description_source == "https://example.org/voting"
    press = taxonomy.field("Press")
    assert (press.description, press.aliases, press.subtopics, press.keywords) == ("", (), (), ())
    assert press.description_source is None
    assert taxonomy.not_fields == ("Projects",)
    assert taxonomy.dimensions == SMALL["dimensions"]
    assert taxonomy.path == "<taxonomy>" and taxonomy.sha256 == ""
    assert Taxonomy.from_dict(SMALL, source="mine.yaml", sha256="ab12").path == "mine.yaml"
    assert Taxonomy.from_dict(SMALL, source="mine.yaml", sha256="ab12").sha256 == "ab12"
    with pytest.raises(KeyError):
        taxonomy.field("voting")


def test_optional_parts_may_be_absent_or_null():
    taxonomy = Taxonomy.from_dict(
        {"dimensions": None, "fields": [], "not_fields": None},
    )
    assert taxonomy.labels == [] and taxonomy.dimensions == {} and taxonomy.not_fields == ()
    bare = Taxonomy.from_dict({"dimensions": {"h": "H"}, "fields": [{"name": "A", "id": "a", "dimension": "h"}]})
    assert bare.not_fields == () and bare.field("A").description == ""


def test_resolve_and_closest_on_a_small_taxonomy():
    taxonomy = Taxonomy.from_dict(SMALL)
    assert taxonomy.resolve("voting") == "Voting"
    assert taxonomy.resolve("POLLS") == "Voting"
    assert taxonomy.resolve("ballot   DESIGN") == "Voting"
    assert taxonomy.resolve("customs") == "Border Watch"
    assert taxonomy.resolve("Projects") is None
    assert taxonomy.closest("Custom") == "Border Watch"
    assert taxonomy.closest("pres") == "Press"
    assert taxonomy.closest("OBSERVER") == "Voting"


def test_tree_is_the_dimensions_with_their_fields_and_subtopics():
    taxonomy = Taxonomy.from_dict(SMALL)
    assert taxonomy.tree() == (
        "Human dimension\n"
        "  ├── Voting  (sub-topics: Ballot design, Observers)\n"
        "  └── Press\n"
        "Politico-military dimension\n"
        "  └── Border Watch  (sub-topics: Customs)\n"
        "Unused"
    )
    grouped = taxonomy.by_dimension()
    assert list(grouped) == ["human", "politico", "empty"]
    assert [f.name for f in grouped["human"]] == ["Voting", "Press"]
    assert grouped["empty"] == []


def test_a_field_may_repeat_its_own_name_as_alias_but_not_another_fields():
    own = {
        "dimensions": {"h": "H"},
        "fields": [{"name": "Press", "id": "press", "dimension": "h", "aliases": ["press"]}],
    }
    assert Taxonomy.from_dict(own).resolve("PRESS") == "Press"
    clash = {
        "dimensions": {"h": "H"},
        "fields": [
            {"name": "Press", "id": "press", "dimension": "h"},
            {"name": "Media", "id": "media", "dimension": "h", "subtopics": ["Press"]},
        ],
    }
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_dict(clash, source="t.yaml")
    assert str(error.value) == "t.yaml: field 'Media': subtopic 'Press' is already used by 'Press'"
    same_name = {
        "dimensions": {"h": "H"},
        "fields": [{"name": "Press", "id": "press", "dimension": "h"}, {"name": "PRESS", "id": "p2", "dimension": "h"}],
    }
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_dict(same_name, source="t.yaml")
    assert str(error.value) == "t.yaml: field 'PRESS': name 'PRESS' is used by another field"
    same_id = {
        "dimensions": {"h": "H"},
        "fields": [
            {"name": "Press", "id": "press", "dimension": "h"},
            {"name": "Media", "id": "press", "dimension": "h"},
        ],
    }
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_dict(same_id, source="t.yaml")
    assert str(error.value) == "t.yaml: field 'Media': id 'press' is already used by 'Press'"


def _field(**entry):
    return {"dimensions": {"h": "H", "p": "P"}, "fields": [{"name": "Press", "id": "press", "dimension": "h"}, entry]}


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "t.yaml: expected a mapping with a 'fields' list"),
        ({"fields": {"a": 1}}, "t.yaml: expected a mapping with a 'fields' list"),
        ({"dimensions": ["h"], "fields": []}, "t.yaml: 'dimensions' must be a mapping of id to name"),
        ({"fields": [], "not_fields": "Projects"}, "t.yaml: 'not_fields' must be a list of names"),
        ({"fields": [], "not_fields": ["Projects", 3]}, "t.yaml: 'not_fields' must be a list of names"),
        (
            _field() | {"fields": [{"name": "Press", "id": "press", "dimension": "h"}, ["x"]]},
            "t.yaml: field #2: expected a mapping, got list",
        ),
        (_field(id="media", dimension="h"), "t.yaml: field #2: missing 'name'"),
        (_field(name="  ", id="media", dimension="h"), "t.yaml: field #2: missing 'name'"),
        (_field(name=5, id="media", dimension="h"), "t.yaml: field #2: missing 'name'"),
        (
            _field(name="Water; rivers", id="water", dimension="h"),
            "t.yaml: field #2: name 'Water; rivers' holds ';', which separates the labels of a table cell",
        ),
        (
            _field(name="Media", dimension="h"),
            "t.yaml: field 'Media': 'id' must be a lowercase slug like 'rule-of-law', got None",
        ),
        (
            _field(name="Media", id=7, dimension="h"),
            "t.yaml: field 'Media': 'id' must be a lowercase slug like 'rule-of-law', got 7",
        ),
        (
            _field(name="Media", id="media-", dimension="h"),
            "t.yaml: field 'Media': 'id' must be a lowercase slug like 'rule-of-law', got 'media-'",
        ),
        (
            _field(name="Media", id="media--x", dimension="h"),
            "t.yaml: field 'Media': 'id' must be a lowercase slug like 'rule-of-law', got 'media--x'",
        ),
        (_field(name="Media", id="media", dimension="x"), "t.yaml: field 'Media': unknown dimension 'x' (known: h, p)"),
        (
            {"fields": [{"name": "Media", "id": "media", "dimension": "h"}]},
            "t.yaml: field 'Media': unknown dimension 'h' (known: none declared)",
        ),
        (
            _field(name="Media", id="media", dimension="h", description=["a"]),
            "t.yaml: field 'Media': 'description' must be text",
        ),
        (
            _field(name="Media", id="media", dimension="h", aliases="TV"),
            "t.yaml: field 'Media': 'aliases' must be a list of names",
        ),
        (
            _field(name="Media", id="media", dimension="h", subtopics=["TV", " "]),
            "t.yaml: field 'Media': 'subtopics' must be a list of names",
        ),
        (
            _field(name="Media", id="media", dimension="h", keywords=["tv", 4]),
            "t.yaml: field 'Media': 'keywords' must be a list of names",
        ),
    ],
)
def test_malformed_mappings_are_refused_with_the_exact_message(data, message):
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_dict(data, source="t.yaml")
    assert str(error.value) == message


def test_slug_ids_with_digits_and_dashes_are_accepted():
    data = _field(name="Media", id="media-2-tv", dimension="p")
    assert Taxonomy.from_dict(data).field("Media").id == "media-2-tv"


def test_hash_is_the_sha256_of_the_file_bytes(tmp_path):
    path = write(tmp_path, BASE)
    taxonomy = Taxonomy.from_yaml(path)
    assert taxonomy.sha256 == hashlib.sha256(BASE.encode("utf-8")).hexdigest()
    assert taxonomy.path == str(path)
    assert Taxonomy.from_yaml(str(path)).labels == ["Elections"]


def test_unreadable_taxonomy_messages_name_the_file_and_the_reason(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(missing)
    assert str(error.value) == f"{missing}: cannot read taxonomy: no such file"
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(tmp_path)
    assert str(error.value) == f"{tmp_path}: cannot read taxonomy: is a directory"


def test_malformed_yaml_message_gives_line_and_problem(tmp_path):
    path = write(tmp_path, "dimensions:\n  h: H\nfields: [\n")
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(path)
    text = str(error.value)
    assert text.startswith(f"{path}:4: malformed YAML: ")
    assert "expected" in text.split("malformed YAML: ", 1)[1]


def test_default_taxonomy_is_read_once_from_the_default_path(monkeypatch):
    from classifier.taxonomy import fields

    monkeypatch.setattr(fields, "_default", None)
    monkeypatch.setenv("CLASSIFIER_TAXONOMY", str(ROOT / "taxonomy.yaml"))
    first = fields.default_taxonomy()
    assert first.path == str(ROOT / "taxonomy.yaml") and len(first.labels) == 23
    assert fields.default_taxonomy() is first


def test_a_character_yaml_refuses_is_named_without_a_line(tmp_path):
    # PyYAML's reader refuses control characters before parsing, with no line mark and no `problem`.
    path = tmp_path / "taxonomy.yaml"
    path.write_bytes(b"fields: [a\x07]\n")
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(path)
    assert str(error.value).startswith(f"{path}: malformed YAML: unacceptable character #x0007")
    assert "\n" not in str(error.value)


def test_a_field_name_taken_by_an_earlier_alias_is_refused_as_a_name():
    data = {
        "dimensions": {"h": "H"},
        "fields": [
            {"name": "Press", "id": "press", "dimension": "h", "aliases": ["Media"]},
            {"name": "Media", "id": "media", "dimension": "h"},
        ],
    }
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_dict(data, source="t.yaml")
    assert str(error.value) == "t.yaml: field 'Media': name 'Media' is already used by 'Press'"


def test_an_unknown_field_is_a_key_error_naming_it():
    with pytest.raises(KeyError) as error:
        Taxonomy.from_dict(SMALL).field("Polls")
    assert error.value.args == ("Polls",)


@pytest.mark.parametrize("name", ["my taxonomies", "drafts: old"])
def test_a_missing_taxonomy_in_a_folder_with_spaces_or_a_colon_gives_the_reason_alone(tmp_path, name):
    folder = tmp_path / name  # the message's path, then the reason: no part of the path taken for the reason
    folder.mkdir()
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(folder / "nope.yaml")
    assert str(error.value) == f"{folder / 'nope.yaml'}: cannot read taxonomy: no such file"


def test_a_read_failing_midway_gives_the_system_reason(tmp_path, monkeypatch):
    import errno

    from classifier.io import textio

    class Failing:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size=-1):
            raise OSError(errno.EIO, "Input/output error")

    path = write(tmp_path, BASE)
    monkeypatch.setattr(textio, "open_regular", lambda _path: Failing())
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(path)
    assert str(error.value) == f"{path}: cannot read taxonomy: Input/output error"


def test_a_taxonomy_past_the_size_limit_is_refused_not_cut(tmp_path, monkeypatch):
    # 16 MiB of comment, then a second field: reading only the first 16 MiB would drop it without a word.
    padding = "#" + "x" * (16 << 20) + "\n"
    path = write(tmp_path, BASE + padding + "  - {name: Polls, id: polls, dimension: human}\n")
    with pytest.raises(TaxonomyError) as error:
        Taxonomy.from_yaml(path)
    assert str(error.value) == f"{path}: cannot read taxonomy: more than 16,777,216 bytes"
    # A file of exactly the limit is read (parsing 16 MiB of YAML takes seconds: the limit is made smaller).
    monkeypatch.setattr("classifier.taxonomy.fields._MAX_BYTES", 4096)
    at_limit = write(tmp_path, BASE + "#" + "x" * (4096 - len(BASE) - 2) + "\n")
    assert at_limit.stat().st_size == 4096
    assert Taxonomy.from_yaml(at_limit).labels == ["Elections"]
    over = write(tmp_path, BASE + "#" + "x" * (4097 - len(BASE) - 2) + "\n")
    with pytest.raises(TaxonomyError, match=r": cannot read taxonomy: more than 4,096 bytes$"):
        Taxonomy.from_yaml(over)


def test_closest_takes_the_best_match_however_weak():
    # "cu" against "customs": 2 matching characters, ratio 2 * 2 / (2 + 7) = 0.44, below difflib's default cutoff
    # of 0.6; every other spelling shares at most one character with it ("border watch": 2 * 1 / 14).
    assert Taxonomy.from_dict(SMALL).closest("Cu") == "Border Watch"


BEFORE = ROOT / "examples" / "retraining" / "taxonomy-before.yaml"  # the shipped file without Gender equality


def test_a_taxonomy_is_taken_as_itself_by_its_path_or_as_the_shipped_one():
    from classifier.taxonomy.fields import as_taxonomy, default_taxonomy

    assert as_taxonomy() is default_taxonomy() and as_taxonomy(None) is default_taxonomy()
    before = Taxonomy.from_yaml(BEFORE)
    assert as_taxonomy(before) is before
    for path in (BEFORE, str(BEFORE)):
        read = as_taxonomy(path)
        assert len(read.labels) == 22 and "Gender equality" not in read.labels and read.sha256 == before.sha256
    for wrong, kind in ((3, "int"), (b"taxonomy.yaml", "bytes"), (["taxonomy.yaml"], "list")):
        with pytest.raises(TypeError) as caught:
            as_taxonomy(wrong)
        assert str(caught.value) == f"taxonomy: expected a Taxonomy or the path of a taxonomy.yaml, not {kind}"


def test_train_evaluate_and_load_model_take_a_taxonomy_by_its_path(tmp_path):
    """The retraining example's data are labelled Gender equality, which the taxonomy before it lacks: given that
    taxonomy's path, as str or Path, each function reads it and refuses the label (evaluate_model: the taxonomy,
    which is not the model's), before any training."""
    from classifier import evaluate_model, load_model, train
    from classifier.bundle.storage import BundleError
    from classifier.corpus.documents import UnknownLabelsError

    labelled = ROOT / "examples" / "retraining" / "labelled.jsonl"
    held_out = ROOT / "examples" / "retraining" / "held_out.jsonl"
    shipped = load_model()
    for path in (BEFORE, str(BEFORE)):
        with pytest.raises(UnknownLabelsError) as caught:
            train([labelled], taxonomy=path, jobs=1)
        assert str(caught.value).startswith(f"{labelled}:1: unknown label 'Gender equality' (closest field: ")
        with pytest.raises(BundleError) as caught:  # read, and found not to be the model's
            evaluate_model(shipped, [held_out], taxonomy=path)
        assert str(caught.value) == (
            "the taxonomy's fields differ from the model's (not in taxonomy: Gender equality): pass taxonomy= the one "
            "the model was loaded with"
        )
        with pytest.raises(
            BundleError, match=r"fields differ from .*taxonomy-before\.yaml \(not in taxonomy: Gender eq"
        ):
            load_model(taxonomy=path)  # the shipped model has a field this taxonomy lacks
    by_path = evaluate_model(shipped, [held_out], taxonomy=ROOT / "taxonomy.yaml")
    assert by_path == evaluate_model(shipped, [held_out]) and by_path["documents"] == 68


# The parsed copy of the shipped taxonomy (fields.PARSED_COPY): read instead of parsing YAML for those very bytes.


def test_the_parsed_copy_is_the_shipped_taxonomy_as_yaml_parses_it():
    import json

    import yaml

    from classifier.taxonomy import fields

    raw = (ROOT / "taxonomy.yaml").read_bytes()
    copy = json.loads(fields.PARSED_COPY.read_text(encoding="utf-8"))
    remake = (
        'after editing taxonomy.yaml: python -c "from classifier.taxonomy.fields import write_parsed_copy as w; w()"'
    )
    assert copy["sha256"] == hashlib.sha256(raw).hexdigest(), remake
    assert copy["data"] == yaml.safe_load(raw), remake


def _refuse_parsing(monkeypatch):
    from classifier.taxonomy import fields

    def refuse(raw, path):
        raise AssertionError(f"{path} was parsed")

    monkeypatch.setattr(fields, "_parse_yaml", refuse)


def test_the_same_bytes_anywhere_are_read_from_the_copy_and_give_the_same_taxonomy(tmp_path, monkeypatch):
    parsed = Taxonomy.from_yaml(ROOT / "taxonomy.yaml")
    same = tmp_path / "mine.yaml"
    same.write_bytes((ROOT / "taxonomy.yaml").read_bytes())
    _refuse_parsing(monkeypatch)
    copied = Taxonomy.from_yaml(same)
    assert copied.fields == parsed.fields and copied.dimensions == parsed.dimensions
    assert copied.not_fields == parsed.not_fields and copied.sha256 == parsed.sha256
    assert copied.path == str(same)  # errors and warnings name the file read


def test_other_bytes_are_parsed_even_one_space_more(tmp_path, monkeypatch):
    other = tmp_path / "mine.yaml"
    other.write_bytes((ROOT / "taxonomy.yaml").read_bytes() + b" \n")
    assert Taxonomy.from_yaml(other).labels == Taxonomy.from_yaml(ROOT / "taxonomy.yaml").labels
    _refuse_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="mine.yaml was parsed"):
        Taxonomy.from_yaml(other)


@pytest.mark.parametrize("content", ["", "{not json", '{"sha256": 3}', "[]"])
def test_a_missing_or_damaged_copy_means_parsing(tmp_path, monkeypatch, content):
    from classifier.taxonomy import fields

    damaged = tmp_path / "parsed_taxonomy.json"
    if content:
        damaged.write_text(content, encoding="utf-8")
    monkeypatch.setattr(fields, "PARSED_COPY", damaged)
    assert Taxonomy.from_yaml(ROOT / "taxonomy.yaml").labels[:2] == ["Arms control", "Border management"]


def test_a_copy_of_other_bytes_is_not_taken_for_this_file(tmp_path, monkeypatch):
    import json

    from classifier.taxonomy import fields

    wrong = tmp_path / "parsed_taxonomy.json"
    wrong.write_text(json.dumps({"sha256": "0" * 64, "data": {"fields": []}}), encoding="utf-8")
    monkeypatch.setattr(fields, "PARSED_COPY", wrong)
    assert len(Taxonomy.from_yaml(ROOT / "taxonomy.yaml").labels) == 23


def test_write_parsed_copy_remakes_it_from_the_shipped_file_and_refuses_what_json_changes(tmp_path, monkeypatch):
    import json

    from classifier.taxonomy import fields

    target = tmp_path / "parsed_taxonomy.json"
    monkeypatch.setattr(fields, "PARSED_COPY", target)
    edited = tmp_path / "taxonomy.yaml"
    edited.write_bytes((ROOT / "taxonomy.yaml").read_bytes().replace(b"name: Youth", b"name: Young people", 1))
    monkeypatch.setattr(fields, "shipped_taxonomy_path", lambda: edited)
    monkeypatch.setenv("CLASSIFIER_TAXONOMY", str(ROOT / "taxonomy.yaml"))  # a user's setting: not the shipped file
    assert fields.write_parsed_copy() == target
    copy = json.loads(target.read_text(encoding="utf-8"))
    assert copy["sha256"] == hashlib.sha256(edited.read_bytes()).hexdigest()
    assert [entry["name"] for entry in copy["data"]["fields"]][-1] == "Young people"
    _refuse_parsing(monkeypatch)
    assert Taxonomy.from_yaml(edited).labels[-1] == "Young people"  # read from the new copy

    monkeypatch.undo()
    monkeypatch.setattr(fields, "PARSED_COPY", target)
    raw = edited.read_bytes()
    numbered = tmp_path / "numbered.yaml"  # a dimension keyed by a number: JSON would make it a string
    numbered.write_bytes(raw.replace(b"dimensions:\n", b"dimensions:\n  7: Seventh\n", 1))
    dated = tmp_path / "dated.yaml"  # a date, which JSON has no type for
    dated.write_bytes(raw.replace(b"description_source: ", b"description_source: 2015-09-06 #", 1))
    for odd in (numbered, dated):
        monkeypatch.setattr(fields, "shipped_taxonomy_path", lambda odd=odd: odd)
        with pytest.raises(TaxonomyError, match=f"{odd.name}: its data does not survive JSON"):
            fields.write_parsed_copy()
    assert json.loads(target.read_text(encoding="utf-8"))["sha256"] == copy["sha256"]  # the old copy is kept


def test_write_parsed_copy_remakes_the_shipped_copy_byte_for_byte(tmp_path, monkeypatch):
    """Remade from the unchanged taxonomy.yaml, the copy is the committed file itself: remaking it shows no change."""
    from classifier.taxonomy import fields

    committed = fields.PARSED_COPY.read_bytes()
    monkeypatch.setattr(fields, "PARSED_COPY", tmp_path / "parsed_taxonomy.json")
    monkeypatch.setattr(fields, "shipped_taxonomy_path", lambda: ROOT / "taxonomy.yaml")
    assert fields.write_parsed_copy().read_bytes() == committed


def test_write_parsed_copy_names_the_edited_file_in_its_refusals(tmp_path, monkeypatch):
    """An edit that breaks the YAML or the taxonomy is refused with the file's path (and line), and the copy is kept."""
    from classifier.taxonomy import fields

    target = tmp_path / "parsed_taxonomy.json"
    target.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(fields, "PARSED_COPY", target)
    edited = tmp_path / "taxonomy.yaml"
    monkeypatch.setattr(fields, "shipped_taxonomy_path", lambda: edited)
    raw = (ROOT / "taxonomy.yaml").read_bytes()
    edited.write_bytes(raw.replace(b"name: Youth", b"name: [Youth", 1))
    line = raw[: raw.index(b"name: Youth")].count(b"\n") + 2  # the flow sequence is found unclosed on the next line
    with pytest.raises(TaxonomyError) as malformed:
        fields.write_parsed_copy()
    assert str(malformed.value).startswith(f"{edited}:{line}: malformed YAML: ")
    edited.write_bytes(raw.replace(b"id: youth", b"id: education", 1))
    with pytest.raises(TaxonomyError) as invalid:
        fields.write_parsed_copy()
    assert str(invalid.value) == f"{edited}: field 'Youth': id 'education' is already used by 'Education'"
    assert target.read_text(encoding="utf-8") == "{}"


def test_a_field_is_found_by_its_notation_and_uri_as_the_http_service_gives_them():
    """`serve` names each field by label, notation and URI (GET /v1/taxonomy) and takes any of them back; train,
    evaluate and compare refused the notation and URI ("unknown label 'human-rights' (closest field: 'Human
    rights')"), though they are the service's own answers."""
    from classifier.taxonomy.fields import default_taxonomy

    taxonomy = default_taxonomy()
    assert taxonomy.resolve("human-rights") == "Human rights"
    assert taxonomy.resolve("urn:osce-field-of-work:rule-of-law") == "Rule of law"
    assert taxonomy.resolve("urn:osce-field-of-work:no-such-field") is None
    assert taxonomy.resolve("urn:osce-field-of-work:Human rights") is None  # a URI holds the notation only
    for field in taxonomy.fields:
        assert taxonomy.resolve(field.id) == taxonomy.resolve(f"urn:osce-field-of-work:{field.id}") == field.name
