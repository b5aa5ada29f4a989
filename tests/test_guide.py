import hashlib
from pathlib import Path

import pytest

from classifier.taxonomy.fields import Taxonomy, TaxonomyError
from classifier.taxonomy.guide import FieldGuide, GuideEntry

from conftest import ROOT


def test_the_shipped_guide_has_written_examples_for_every_field(taxonomy):
    guide = FieldGuide.from_yaml(ROOT / "field_guide.yaml", taxonomy)
    assert [entry.field for entry in guide.entries] == taxonomy.labels and guide.unknown_fields == ()
    assert all(len(entry.examples) >= 5 and entry.guide for entry in guide.entries)
    examples = guide.written_examples()
    assert len(examples) == sum(len(entry.examples) for entry in guide.entries)
    assert examples[0] == (guide.entries[0].examples[0], taxonomy.labels[0])
    assert "WRITTEN BY THE PROJECT" in (ROOT / "field_guide.yaml").read_text(encoding="utf-8")


def test_names_resolve_through_the_taxonomy_and_unknown_ones_are_left_out(tmp_path, taxonomy):
    path = tmp_path / "guide.yaml"
    path.write_text(
        "fields:\n"
        "  - name: Combating human trafficking\n"  # an alias of the field
        '    examples: ["A shelter for victims   of trafficking opened."]\n'
        "  - name: Space exploration\n"
        '    examples: ["A rocket was launched."]\n',
        encoding="utf-8",
    )
    guide = FieldGuide.from_yaml(path, taxonomy)
    assert guide.written_examples() == [
        ("A shelter for victims of trafficking opened.", "Combating trafficking in human beings")
    ]
    assert guide.unknown_fields == ("Space exploration",)


@pytest.mark.parametrize(
    "text, message",
    [
        ("fields: nothing\n", "expected a mapping with a 'fields' list"),
        ("fields:\n  - name: Youth\n    examples: [1, 2]\n", "field 'Youth': 'examples' must be a list of texts"),
        ("fields:\n  - name: Youth\n  - name: youth\n", "field 'Youth' has two entries"),
        ("fields: [\n", "malformed YAML"),
    ],
)
def test_a_malformed_guide_is_refused_with_the_file_and_the_field(tmp_path, taxonomy, text, message):
    path = tmp_path / "guide.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as caught:
        FieldGuide.from_yaml(path, taxonomy)
    assert str(caught.value).startswith(str(path))


def write_guide(tmp_path, text):
    path = tmp_path / "guide.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_guide_is_read_whole_with_its_file_and_checksum(tmp_path, taxonomy):
    """Every key of an entry, its spaces folded; an entry without a guide; an unknown field before a known one."""
    path = write_guide(
        tmp_path,
        "fields:\n"
        "  - name: Space exploration\n"
        "    examples: [A rocket was launched.]\n"
        "  - name: Youth\n"
        "    guide: >\n"
        "      Young people   taking part\n"
        "      in public life.\n"
        "    actors: [youth  councils, student unions]\n"
        "    activities: [a summer school]\n"
        "    examples: [Students met the mayor., Young leaders trained.]\n"
        "  - name: Elections\n"
        "    examples: [Observers watched the count.]\n",
    )
    guide = FieldGuide.from_yaml(path, taxonomy)
    assert guide.entries == (
        GuideEntry(
            "Youth",
            "Young people taking part in public life.",
            ("youth councils", "student unions"),
            ("a summer school",),
            ("Students met the mayor.", "Young leaders trained."),
        ),
        GuideEntry("Elections", "", (), (), ("Observers watched the count.",)),
    )
    assert (guide.path, guide.unknown_fields) == (str(path), ("Space exploration",))
    assert guide.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_names_resolve_through_the_taxonomy_given_else_the_default_one(tmp_path, taxonomy):
    path = write_guide(tmp_path, "fields:\n  - name: Space exploration\n  - name: Youth\n")
    own = Taxonomy.from_dict(
        {"dimensions": {"d": "D"}, "fields": [{"name": "Space exploration", "id": "s", "dimension": "d"}]}
    )
    guide = FieldGuide.from_yaml(path, own)
    assert [entry.field for entry in guide.entries] == ["Space exploration"] and guide.unknown_fields == ("Youth",)
    guide = FieldGuide.from_yaml(path)
    assert [entry.field for entry in guide.entries] == ["Youth"] and guide.unknown_fields == ("Space exploration",)


def test_the_shipped_guide_is_read_when_none_is_named(taxonomy):
    from classifier.paths import default_field_guide_path

    guide = FieldGuide.from_yaml(taxonomy=taxonomy)
    # The package's copy when installed (as CI installs it), the checkout's in an editable install: the same bytes.
    assert guide.path == str(default_field_guide_path())
    assert Path(guide.path).name == "field_guide.yaml"
    assert guide.sha256 == hashlib.sha256((ROOT / "field_guide.yaml").read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "text, message",
    [
        ("fields:\n  - Youth\n", "entry #1: expected a mapping with a 'name'"),
        ("fields:\n  - name: Youth\n  - guide: No name.\n", "entry #2: expected a mapping with a 'name'"),
        ("fields:\n  - name: Youth\n  - name: 5\n", "entry #2: expected a mapping with a 'name'"),
        ("fields: [\n", "2: malformed YAML: expected the node content, but found '<stream end>'"),
        ("fields:\n  - name: Youth\n    guide: [a\n", "4: malformed YAML: expected ',' or ']', but got '<stream end>'"),
    ],
)
def test_each_refusal_names_the_file_and_the_entry_or_line(tmp_path, taxonomy, text, message):
    path = write_guide(tmp_path, text)
    with pytest.raises(TaxonomyError) as caught:
        FieldGuide.from_yaml(path, taxonomy)
    expected = f"{path}:{message}" if message[0].isdigit() else f"{path}: {message}"  # a line number, or an entry
    assert str(caught.value) == expected


def test_a_guide_yaml_cannot_read_is_refused_in_one_line(tmp_path, taxonomy):
    """PyYAML's reader refuses a byte that is not UTF-8 or a control character with a message of two lines and no
    line mark: the guide said both lines."""
    path = tmp_path / "guide.yaml"
    for raw, problem in (
        (b"fields:\n  - name: Youth\n    guide: caf\xe9\n", "unacceptable character #x00e9: invalid continuation byte"),
        (b"fields: [a\x07]\n", "unacceptable character #x0007: special characters are not allowed"),
    ):
        path.write_bytes(raw)
        with pytest.raises(TaxonomyError) as caught:
            FieldGuide.from_yaml(path, taxonomy)
        assert str(caught.value) == f"{path}: malformed YAML: {problem}"


def test_a_missing_guide_is_refused_naming_it(tmp_path, taxonomy):
    with pytest.raises(TaxonomyError) as caught:
        FieldGuide.from_yaml(tmp_path / "none.yaml", taxonomy)
    assert str(caught.value) == f"{tmp_path / 'none.yaml'}: cannot read the field guide: No such file or directory"
