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
    ],
)
def test_resolve_names_aliases_and_subtopics(taxonomy, spelling, field):
    assert taxonomy.resolve(spelling) == field


def test_unknown_spelling_resolves_to_none_and_has_a_closest_field(taxonomy):
    assert taxonomy.resolve("Electons") is None
    assert taxonomy.closest("Electons") == "Elections"
    assert taxonomy.resolve("Field operations") is None


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


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        Taxonomy.from_yaml(tmp_path / "nope.yaml")


def test_hash_follows_file_content(tmp_path):
    a = Taxonomy.from_yaml(write(tmp_path, BASE))
    b = Taxonomy.from_yaml(write(tmp_path, BASE + "# a comment\n"))
    assert a.labels == b.labels and a.sha256 != b.sha256
    assert Taxonomy.from_yaml(ROOT / "taxonomy.yaml").sha256 != a.sha256
