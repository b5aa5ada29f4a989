import pytest

from classifier.taxonomy.fields import TaxonomyError
from classifier.taxonomy.guide import FieldGuide

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
