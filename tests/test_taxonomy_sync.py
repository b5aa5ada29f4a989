import json

import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.taxonomy.fields import Taxonomy
from classifier.workflows.taxonomy_sync import (
    SyncError,
    TaxonomyDiff,
    diff_taxonomy,
    fields_menu,
    format_diff,
    name_similarity,
    sync_taxonomy,
)

from conftest import ROOT, SEED_ELECTIONS, needs_seeds

EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
runner = CliRunner()


def changed_page(tmp_path, replacements):
    """The example page with its Fields of work menu edited: {old entry: [new entries]} ([] removes it)."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        entry = line[2:] if line.startswith("- ") else None
        if entry in replacements and len(out) < 40:  # only inside the first (navigation) menu block
            out += [f"- {new}" for new in replacements[entry]]
        else:
            out.append(line)
    page = tmp_path / "page.txt"
    page.write_text("\n".join(out) + "\n", encoding="utf-8")
    return page


@pytest.fixture
def taxonomy_copy(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_the_menu_of_a_page_lists_every_field_and_the_sections_left_out(taxonomy):
    menu = fields_menu(EXAMPLE.read_text(encoding="utf-8"))
    assert menu[:2] == ["Arms control", "Border management"] and menu[-2:] == ["Field operations", "Projects"]
    diff = diff_taxonomy(menu, taxonomy)
    assert not diff.changed and diff.unchanged == taxonomy.labels


@needs_seeds
def test_the_taxonomy_is_in_step_with_the_scraped_seed_page(taxonomy):
    diff = diff_taxonomy(fields_menu(SEED_ELECTIONS.read_text(encoding="utf-8")), taxonomy)
    assert not diff.changed and len(diff.unchanged) == 23


def test_a_page_without_the_menu_is_refused_in_one_line():
    with pytest.raises(SyncError, match=r"^x\.txt: no 'Fields of work' menu found"):
        fields_menu("Just a title\nAnd a body.", "x.txt")


def test_diff_finds_added_removed_and_renamed_fields(tmp_path, taxonomy):
    page = changed_page(
        tmp_path,
        {
            "Conflict prevention and resolution": ["Conflict prevention, resolution and mediation"],  # similar name
            "Cyber/ICT Security": ["Cybersecurity"],  # a known alias
            "Youth": [],
            "Education": ["Education", "Climate change"],  # was a sub-topic of Environmental activities
            "Projects": ["Projects", "Field operations"],
        },
    )
    diff = diff_taxonomy(fields_menu(page.read_text(encoding="utf-8")), taxonomy)
    assert diff.added == ["Climate change"]
    assert diff.removed == ["Youth"]
    assert [(old, new) for old, new, _ in diff.renamed] == [
        ("Cyber/ICT Security", "Cybersecurity"),
        ("Conflict prevention and resolution", "Conflict prevention, resolution and mediation"),
    ]
    assert len(diff.unchanged) == 20
    assert diff.renamed[0][2] == 1.0 and diff.renamed[1][2] == pytest.approx(0.8)
    assert name_similarity("Youth", "Climate change") < 0.6


def test_a_rename_the_similarity_misses_can_be_forced(tmp_path, taxonomy):
    page = changed_page(tmp_path, {"Youth": ["Young people"]})
    menu = fields_menu(page.read_text(encoding="utf-8"))
    assert diff_taxonomy(menu, taxonomy).added == ["Young people"]
    forced = diff_taxonomy(menu, taxonomy, {"Youth": "Young people"})
    assert [(old, new) for old, new, _ in forced.renamed] == [("Youth", "Young people")] and not forced.added
    with pytest.raises(SyncError, match="'Yuoth' is not a field"):
        diff_taxonomy(menu, taxonomy, {"Yuoth": "Young people"})


def test_write_keeps_comments_order_and_untouched_entries(tmp_path, taxonomy_copy):
    before = taxonomy_copy.read_text(encoding="utf-8")
    page = changed_page(tmp_path, {"Youth": ["Young people"], "Education": ["Education", "Climate change"]})
    sync_taxonomy(page, taxonomy_copy, {"Youth": "Young people"}, write=True)
    after = taxonomy_copy.read_text(encoding="utf-8")
    assert after.split("\nfields:\n")[0] == before.split("\nfields:\n")[0]  # header comments, dimensions
    # Every other entry is byte-identical and in its place.
    blocks_before, blocks_after = before.split("\n\n  - name: "), after.split("\n\n  - name: ")
    assert len(blocks_after) == len(blocks_before) + 1
    new = Taxonomy.from_yaml(taxonomy_copy)
    assert new.labels[new.labels.index("Education") + 1] == "Climate change"
    climate = new.field("Climate change")
    assert (climate.id, climate.dimension, climate.description, climate.keywords) == (
        "climate-change",
        "economic-environmental",
        "",
        (),
    )
    assert "  - name: Climate change  # new on the site: write its description and keywords" in after
    assert "Climate change" not in new.field("Environmental activities").subtopics
    young = new.field("Young people")
    assert (
        young.id == "youth"
        and young.aliases == ("Youth",)
        and young.keywords == Taxonomy.from_yaml(ROOT / "taxonomy.yaml").field("Youth").keywords
    )
    unchanged = [b for b in blocks_before if not b.startswith(("Youth", "Education", "Environmental activities"))]
    assert all(block in blocks_after for block in unchanged)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no BOM", "BOM"])
def test_write_keeps_the_files_crlf_line_ends_and_its_byte_order_mark(tmp_path, taxonomy_copy, bom):
    """A taxonomy.yaml edited on Windows came back with LF on every line and without its byte-order mark: the write
    is the same as for the LF file, with the file's own line ends and mark."""
    page = changed_page(tmp_path, {"Youth": ["Young people"], "Education": ["Education", "Climate change"]})
    plain = tmp_path / "plain.yaml"
    plain.write_bytes(taxonomy_copy.read_bytes())
    sync_taxonomy(page, plain, {"Youth": "Young people"}, write=True)
    windows = tmp_path / "windows.yaml"
    windows.write_bytes(bom + taxonomy_copy.read_bytes().replace(b"\n", b"\r\n"))
    sync_taxonomy(page, windows, {"Youth": "Young people"}, write=True)
    assert windows.read_bytes() == bom + plain.read_bytes().replace(b"\n", b"\r\n")
    assert Taxonomy.from_yaml(windows).labels == Taxonomy.from_yaml(plain).labels


def test_after_a_rename_older_bundles_and_data_still_map(tmp_path, taxonomy_copy):
    page = changed_page(
        tmp_path, {"Combating trafficking in human beings": ["Combating human trafficking"]}
    )  # an alias
    sync_taxonomy(page, taxonomy_copy, write=True)
    renamed = Taxonomy.from_yaml(taxonomy_copy)
    model = load_model(ROOT / "models" / "default", renamed)
    text = (ROOT / "examples" / "trafficking-training-serbia.txt").read_text(encoding="utf-8")
    assert model.suggest(text).labels[0] == "Combating human trafficking"
    assert renamed.resolve("Combating trafficking in human beings") == "Combating human trafficking"


def test_cli_shows_the_diff_and_writes_only_with_write(tmp_path, taxonomy_copy):
    before = taxonomy_copy.read_text(encoding="utf-8")
    page = changed_page(tmp_path, {"Youth": [], "Migration": ["Migration", "Water security"]})
    result = runner.invoke(app, ["taxonomy", "sync", str(page), "--taxonomy", str(taxonomy_copy)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"23 fields in the menu of {page}; 22 unchanged",
        "+ added:   Water security",
        "- removed: Youth",
    ]
    assert "run again with --write" in result.stderr and taxonomy_copy.read_text(encoding="utf-8") == before
    # A field gone while another is new may be a rename the similarity missed: --write asks which it is.
    write = ["taxonomy", "sync", str(page), "--taxonomy", str(taxonomy_copy), "--write"]
    result = runner.invoke(app, write)
    assert result.exit_code == 1 and result.stderr.splitlines() == [
        f"error: {taxonomy_copy}: 'Youth' is gone from the menu while 'Water security' is new; if it was renamed, "
        "pass --rename 'Youth=Water security' (its description, keywords and id are kept); to drop it, pass "
        "--remove 'Youth'; nothing written"
    ]
    assert taxonomy_copy.read_text(encoding="utf-8") == before
    result = runner.invoke(app, [*write, "--remove", "Youth"])
    assert result.exit_code == 0 and f"wrote {taxonomy_copy}" in result.stderr
    assert "Youth" not in Taxonomy.from_yaml(taxonomy_copy).labels
    # A taxonomy of one's own: the advice trains a model of its own, never over the shipped one.
    advice = f"then retrain: classifier train --base models/default --taxonomy {taxonomy_copy} --output "
    assert advice + f"{taxonomy_copy.stem}-model" in result.stderr and "--output models/default" not in result.stderr
    assert "Water security" in Taxonomy.from_yaml(taxonomy_copy).labels
    assert runner.invoke(app, ["taxonomy", "sync", str(page), "--rename", "Youth"]).exit_code == 2
    missing = runner.invoke(app, ["taxonomy", "sync", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1


def test_a_taxonomy_named_before_sync_is_the_one_compared_and_written(tmp_path, taxonomy_copy):
    """`classifier taxonomy --taxonomy FILE sync PAGE`, as `taxonomy --help` lists the option: FILE was passed over
    and the shipped taxonomy compared in its place, and written in its place with --write."""
    shipped = (ROOT / "taxonomy.yaml").read_bytes()
    page = changed_page(tmp_path, {"Youth": [], "Migration": ["Migration", "Water security"]})
    result = runner.invoke(app, ["taxonomy", "--taxonomy", str(taxonomy_copy), "sync", str(page), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    expected = {"added": ["Water security"], "removed": ["Youth"], "renamed": [], "unchanged": 22}
    assert json.loads(result.stdout) == expected
    assert result.stderr == f"run again with --write to apply it to {taxonomy_copy}\n"
    write = ["taxonomy", "--taxonomy", str(taxonomy_copy), "sync", str(page), "--write", "--remove", "Youth"]
    written = runner.invoke(app, write)
    assert written.exit_code == 0 and written.stderr.splitlines()[1:] == [
        "new fields are marked in the file: give each a description and keywords before retraining",
        "removed fields: data labelled with them is refused by train until relabelled",
    ]
    assert written.stderr.startswith(f"wrote {taxonomy_copy}; then retrain: classifier train --base models/default ")
    assert "Water security" in Taxonomy.from_yaml(taxonomy_copy).labels
    assert (ROOT / "taxonomy.yaml").read_bytes() == shipped


def test_a_remove_that_removes_nothing_is_refused_and_the_file_compared_is_named(tmp_path, taxonomy_copy):
    """--remove of a field still in the menu (or of no field) was ignored without a word; and a taxonomy given with
    --taxonomy was called taxonomy.yaml when in step."""
    before = taxonomy_copy.read_text(encoding="utf-8")
    page = changed_page(tmp_path, {"Migration": ["Migration", "Water security"]})
    for name, where in (("Youth", "is still in the site's menu"), ("Fishing", "is not a field")):
        result = runner.invoke(
            app, ["taxonomy", "sync", str(page), "--taxonomy", str(taxonomy_copy), "--write", "--remove", name]
        )
        assert result.exit_code == 1 and result.stderr.splitlines() == [
            f"error: --remove '{name}': '{name}' {where}; only a field gone from the menu can be removed"
        ]
    assert taxonomy_copy.read_text(encoding="utf-8") == before
    result = runner.invoke(app, ["taxonomy", "sync", str(EXAMPLE), "--taxonomy", str(taxonomy_copy)])
    assert result.stdout.splitlines()[-1] == f"{taxonomy_copy} is in step with the site"
    # A field gone from the menu may be named in another case to be removed.
    gone = changed_page(tmp_path, {"Youth": [], "Migration": ["Migration", "Water security"]})
    command = ["taxonomy", "sync", str(gone), "--taxonomy", str(taxonomy_copy), "--write", "--remove", "youth"]
    assert runner.invoke(app, command).exit_code == 0
    assert "Youth" not in Taxonomy.from_yaml(taxonomy_copy).labels


def test_write_refuses_a_taxonomy_that_is_a_symlink_and_changes_neither_link_nor_target(tmp_path, taxonomy_copy):
    link = tmp_path / "current.yaml"
    link.symlink_to(taxonomy_copy.name)
    before = taxonomy_copy.read_bytes()
    page = changed_page(tmp_path, {"Youth": ["Young people"]})
    command = ["taxonomy", "sync", str(page), "--taxonomy", str(link), "--write", "--rename", "Youth=Young people"]
    result = runner.invoke(app, command)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {link}: is a symlink; writing would replace the link, so name its target instead\n",
    )
    assert link.is_symlink() and taxonomy_copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.yaml", "page.txt", "taxonomy.yaml"]


def test_write_refuses_the_taxonomy_installed_with_the_package_and_changes_nothing(tmp_path, monkeypatch):
    """Installed with `pip install .`, the default taxonomy is the package's own copy: written, it no longer matched
    the shipped model, and every command failed until a reinstall."""
    import classifier.paths

    package = tmp_path / "site-packages" / "classifier"
    (package / "data").mkdir(parents=True)
    installed = package / "data" / "taxonomy.yaml"
    installed.write_bytes((ROOT / "taxonomy.yaml").read_bytes())
    monkeypatch.setattr(classifier.paths, "_PACKAGE", package)
    monkeypatch.delenv("CLASSIFIER_TAXONOMY", raising=False)
    page = changed_page(tmp_path, {"Migration": ["Migration", "Water security"]})
    result = runner.invoke(app, ["taxonomy", "sync", str(page), "--write"])
    assert result.exit_code == 2 and result.stderr.splitlines() == [
        f"error: {installed}: the taxonomy installed with the package, which the shipped model follows and a "
        "reinstall replaces; copy it, pass --taxonomy COPY --write, and train a model for it into a folder of its own"
    ]
    assert installed.read_bytes() == (ROOT / "taxonomy.yaml").read_bytes()
    # Without --write it only shows the changes; a copy given with --taxonomy is written.
    assert runner.invoke(app, ["taxonomy", "sync", str(page)]).exit_code == 0
    copy = tmp_path / "taxonomy.yaml"
    copy.write_bytes(installed.read_bytes())
    assert runner.invoke(app, ["taxonomy", "sync", str(page), "--taxonomy", str(copy), "--write"]).exit_code == 0
    assert "Water security" in copy.read_text(encoding="utf-8")


# A taxonomy of our own, small enough to write out whole: quoted and unquoted values, an entry without aliases, one
# whose aliases and sub-topics are spellings a menu may promote, and two dimensions.
SMALL_TAXONOMY = """\
# A small taxonomy for the tests.
dimensions:
  security: Security
  people: People

not_fields: [Projects]

fields:
  - name: Water policing
    id: water-policing
    dimension: security
    description: Boats patrol the river.
    keywords: [river patrols, "harbour checks"]
    aliases: [River policing, Lake policing]
    subtopics: [Ferry safety]

  - name: Youth
    id: youth
    dimension: people
    description: Young people take part.
    keywords: [students, schools]
    subtopics: []
"""

NEW_ENTRY = """\
  - name: {name}  # new on the site: write its description and keywords; check its dimension
    id: {id}
    dimension: {dimension}
    description: ''
    keywords: []
    aliases: []
    subtopics: []
"""


@pytest.fixture
def small_taxonomy(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_TAXONOMY, encoding="utf-8")
    return path


def menu_page(tmp_path, entries, name="menu.txt"):
    """A scraped page whose first menu is not the fields' one, then its Fields of work menu holding `entries`."""
    menus = ["-", "Regions", "- Central Asia", "- South-Eastern Europe", "-", "Fields of work"]
    page = tmp_path / name
    page.write_text("\n".join([*menus, *(f"- {e}" for e in entries), "", "News", "A title", "Some text.", ""]))
    return page


def test_the_fields_menu_is_found_after_other_menus_and_a_page_without_one_is_named(tmp_path):
    page = menu_page(tmp_path, ["Youth", "Projects"])
    assert fields_menu(page.read_text(encoding="utf-8")) == ["Youth", "Projects"]
    with pytest.raises(SyncError) as caught:
        fields_menu("Just a title\nAnd a body.")
    assert str(caught.value) == (
        "<page>: no 'Fields of work' menu found (is it a scraped OSCE page with its navigation?)"
    )
    plain = tmp_path / "plain.txt"
    plain.write_text("Just a title\nAnd a body.\n", encoding="utf-8")
    with pytest.raises(SyncError) as caught:
        sync_taxonomy(plain, ROOT / "taxonomy.yaml")
    assert str(caught.value) == (
        f"{plain}: no 'Fields of work' menu found (is it a scraped OSCE page with its navigation?)"
    )


def test_name_similarity_is_the_better_of_characters_and_words():
    # "cyber security" (14 characters) and "cybersecurity" (13) share 13 in one block: 2 * 13 / 27; no word in common.
    assert name_similarity("Cyber security", "Cybersecurity") == pytest.approx(26 / 27)
    # Words: {water, policing} and {policing, of, water} share 2 of 3; characters share less.
    assert name_similarity("Water policing", "Policing of water") == pytest.approx(2 / 3)
    # Nothing in common and no word at all: 0, not a division by zero.
    assert name_similarity("+", "-") == 0.0


def two_fields(first, second):
    return Taxonomy.from_dict(
        {
            "dimensions": {"d": "D"},
            "fields": [{"name": first, "id": "a", "dimension": "d"}, {"name": second, "id": "b", "dimension": "d"}],
        }
    )


def test_the_most_alike_pair_is_the_rename_however_the_fields_are_ordered():
    # "river patrol" shares 12 of 12 + 13 characters with "River patrols" (0.96), and " patrol" and an "e" with
    # "Lake patrols" (2 * 8 / 24): both are past 0.6.
    assert name_similarity("Lake patrols", "River patrol") == pytest.approx(2 / 3)
    for first, second in (("Lake patrols", "River patrols"), ("River patrols", "Lake patrols")):
        diff = diff_taxonomy(["River patrol"], two_fields(first, second))
        assert diff.renamed == [("River patrols", "River patrol", pytest.approx(24 / 25))]
        assert diff.removed == ["Lake patrols"] and diff.added == [] and diff.unchanged == []


def test_a_pair_exactly_as_alike_as_the_minimum_is_a_rename(small_taxonomy):
    taxonomy = Taxonomy.from_yaml(small_taxonomy)
    score = name_similarity("Youth", "Youth work")  # characters: 2 * 5 / 15; words: 1 of 2
    assert score == pytest.approx(2 / 3)
    diff = diff_taxonomy(["Water policing", "Youth work"], taxonomy, min_similarity=score)
    assert diff.renamed == [("Youth", "Youth work", score)] and diff.added == diff.removed == []
    diff = diff_taxonomy(["Water policing", "Youth work"], taxonomy, min_similarity=0.67)
    assert (diff.renamed, diff.added, diff.removed) == ([], ["Youth work"], ["Youth"])


def test_a_forced_rename_to_an_entry_that_is_not_new_is_refused(small_taxonomy):
    taxonomy = Taxonomy.from_yaml(small_taxonomy)
    with pytest.raises(SyncError) as caught:
        diff_taxonomy(["Water policing", "Youth"], taxonomy, {"Youth": "Young people"})
    assert str(caught.value) == "--rename Youth=Young people: 'Young people' is not a new entry of the site's menu"


def test_a_forced_rename_of_a_field_still_in_the_menu_is_refused(small_taxonomy):
    """`--rename 'Youth=Gender equality'` with Youth still in the menu was written: Youth's id, description and
    keywords became Gender equality's, and every row labelled Youth was read as Gender equality."""
    taxonomy = Taxonomy.from_yaml(small_taxonomy)
    with pytest.raises(SyncError) as caught:
        diff_taxonomy(["Water policing", "Youth", "Students"], taxonomy, {"Youth": "Students"})
    assert str(caught.value) == (
        "--rename Youth=Students: 'Youth' is still in the site's menu; only a field gone from it can be renamed"
    )


def test_a_write_refused_for_a_field_gone_suggests_the_likeliest_new_entry_as_its_new_name(tmp_path, small_taxonomy):
    """The refusal named the first new entry ("pass --rename 'Youth=Students'"), not the one most like the field gone
    ("Youth and children"), whatever their order in the menu."""
    page = menu_page(tmp_path, ["Water policing", "Students", "Youth and children"])
    with pytest.raises(SyncError, match=r"pass --rename 'Youth=Youth and children'"):
        sync_taxonomy(page, small_taxonomy, write=True)


def test_the_diff_as_json_rounds_the_similarity(small_taxonomy):
    diff = diff_taxonomy(["Policing of water", "Students", "Projects"], Taxonomy.from_yaml(small_taxonomy))
    assert diff.to_dict() == {
        "added": ["Students"],
        "removed": ["Youth"],
        "renamed": [{"from": "Water policing", "to": "Policing of water", "similarity": 0.667}],
        "unchanged": 0,
    }


def test_write_renames_keep_every_other_spelling_and_add_an_aliases_list_where_none_was(tmp_path, small_taxonomy):
    # "River policing" is an alias of Water policing (renamed back to it); Youth, without aliases, is renamed by hand.
    page = menu_page(tmp_path, ["River policing", "Young people", "Projects"])
    diff = sync_taxonomy(page, small_taxonomy, {"Youth": "Young people"}, write=True)
    assert [(old, new) for old, new, _ in diff.renamed] == [
        ("Water policing", "River policing"),
        ("Youth", "Young people"),
    ]
    expected = (
        SMALL_TAXONOMY.replace("name: Water policing", "name: River policing")
        .replace("[River policing, Lake policing]", "[Lake policing, Water policing]")
        .replace("name: Youth", "name: Young people")
        .replace("    subtopics: []\n", "    subtopics: []\n    aliases: [Youth]\n")
    )
    assert small_taxonomy.read_text(encoding="utf-8") == expected


def test_write_adds_new_fields_in_the_menus_order_with_unique_ids_and_blank_lines(tmp_path, small_taxonomy):
    """A field new at the top, three whose ids would clash with each other, one whose id would clash with an existing
    one, one without a letter or digit, and a former alias of a field still in the menu (moved out of its aliases)."""
    menu = [
        *["Safe harbours", "Water policing", "Water security", "(Water) security", "Water/security", "Youth"],
        *["Youth!", "Ωμέγα"],
    ]
    page = menu_page(tmp_path, [*menu, "Lake policing", "Projects"])
    diff = sync_taxonomy(page, small_taxonomy, write=True)
    assert diff.added == [*menu[:1], *menu[2:5], *menu[6:], "Lake policing"] and diff.removed == diff.renamed == []
    water, youth = SMALL_TAXONOMY.split("fields:\n")[1].split("\n\n")
    new = [
        NEW_ENTRY.format(name="Safe harbours", id="safe-harbours", dimension="security"),
        water.replace("[River policing, Lake policing]", "[River policing]") + "\n",
        NEW_ENTRY.format(name="Water security", id="water-security", dimension="security"),
        NEW_ENTRY.format(name="(Water) security", id="water-security-2", dimension="security"),
        NEW_ENTRY.format(name="Water/security", id="water-security-3", dimension="security"),
        youth,
        NEW_ENTRY.format(name="Youth!", id="youth-2", dimension="people"),
        NEW_ENTRY.format(name="Ωμέγα", id="field", dimension="security"),
        NEW_ENTRY.format(name="Lake policing", id="lake-policing", dimension="security"),
    ]
    header = SMALL_TAXONOMY.split("fields:\n")[0]
    assert small_taxonomy.read_text(encoding="utf-8") == header + "fields:\n" + "\n".join(new)
    assert Taxonomy.from_yaml(small_taxonomy).field("Lake policing").id == "lake-policing"


def test_write_into_a_taxonomy_without_blank_lines_adds_none(tmp_path):
    compact = "dimensions: {d: D}\nfields:\n  - name: Arms\n    id: arms\n    dimension: d\n"
    path = tmp_path / "compact.yaml"
    path.write_text(compact + "  - name: Youth\n    id: youth\n    dimension: d\n", encoding="utf-8")
    sync_taxonomy(menu_page(tmp_path, ["Arms", "Boats", "Youth"]), path, write=True)
    new = NEW_ENTRY.format(name="Boats", id="boats", dimension="d")
    assert path.read_text(encoding="utf-8") == compact + new + "  - name: Youth\n    id: youth\n    dimension: d\n"


@pytest.mark.parametrize(
    "name, dimension",
    [
        ("Students abroad", "people"),  # a keyword of Youth
        ("Schools abroad", "people"),  # its last keyword
        ("People abroad", "people"),  # a word of its description
        ("Youth clubs", "people"),  # its name
        ("River students", "security"),  # one word each of Water policing and Youth: the first field wins
        ("Outer space", "security"),  # no word in common: the taxonomy's first dimension
    ],
)
def test_a_new_field_takes_the_dimension_of_the_field_sharing_most_words(tmp_path, small_taxonomy, name, dimension):
    sync_taxonomy(menu_page(tmp_path, ["Water policing", "Youth", name]), small_taxonomy, write=True)
    assert Taxonomy.from_yaml(small_taxonomy).field(name).dimension == dimension


def test_a_new_field_reads_no_word_into_a_description_left_empty(tmp_path, small_taxonomy):
    # The first new field (people, from "students") has an empty description; the second shares no word with anything.
    page = menu_page(tmp_path, ["Water policing", "Youth", "Students abroad", "Xxxx watch"])
    sync_taxonomy(page, small_taxonomy, write=True)
    assert Taxonomy.from_yaml(small_taxonomy).field("Xxxx watch").dimension == "security"


def test_sync_reads_the_taxonomy_it_is_given_and_writes_only_when_asked(tmp_path, small_taxonomy):
    page = menu_page(tmp_path, ["Water policing", "Young people"])
    diff = sync_taxonomy(page, small_taxonomy, {"Youth": "Young people"})
    # "youth" and "young people" share "you": 2 * 3 / 17.
    assert diff.renamed == [("Youth", "Young people", pytest.approx(6 / 17))] and diff.unchanged == ["Water policing"]
    assert small_taxonomy.read_text(encoding="utf-8") == SMALL_TAXONOMY


def test_a_field_gone_with_nothing_new_is_removed_without_being_named(tmp_path, small_taxonomy):
    diff = sync_taxonomy(menu_page(tmp_path, ["Water policing", "Projects"]), small_taxonomy, write=True)
    assert diff.removed == ["Youth"] and diff.added == []
    assert small_taxonomy.read_text(encoding="utf-8") == SMALL_TAXONOMY.split("\n\n  - name: Youth")[0] + "\n"


def test_a_sync_the_taxonomy_would_refuse_is_not_written(tmp_path, small_taxonomy):
    # Youth renamed by hand to a sub-topic of Water policing: two fields would claim one spelling.
    page = menu_page(tmp_path, ["Water policing", "Ferry safety"])
    with pytest.raises(SyncError) as caught:
        sync_taxonomy(page, small_taxonomy, {"Youth": "Ferry safety"}, write=True)
    assert str(caught.value) == (
        f"{small_taxonomy}: the synced taxonomy would not load ({small_taxonomy}: field 'Ferry safety': name "
        "'Ferry safety' is already used by 'Water policing'); nothing written"
    )
    assert small_taxonomy.read_text(encoding="utf-8") == SMALL_TAXONOMY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["menu.txt", "small.yaml"]


def test_the_diff_for_people_names_the_taxonomy_yaml_unless_told_another_file():
    in_step = TaxonomyDiff(menu=["Youth"], unchanged=["Youth"])
    assert format_diff(in_step, "page.txt") == (
        "1 fields in the menu of page.txt; 1 unchanged\ntaxonomy.yaml is in step with the site"
    )
    assert format_diff(in_step, "page.txt", "own.yaml").endswith("\nown.yaml is in step with the site")
    renamed = TaxonomyDiff(menu=["Young people"], renamed=[("Youth", "Young people", 6 / 17)])
    assert format_diff(renamed, "page.txt") == (
        "1 fields in the menu of page.txt; 0 unchanged\n"
        "~ renamed: Youth -> Young people (similarity 0.35; the old name stays as an alias)"
    )


# A taxonomy of our own with a comment above each entry: ruamel attaches the blank line and comment above an entry to
# the end of the entry before it when that ends in a scalar (Water policing, Youth) and to the `fields` key above the
# first; they must stay with the entry they precede.
COMMENTED_TAXONOMY = """\
dimensions:
  security: Security
  people: People

fields:
  # Security dimension
  - name: Water policing
    id: water-policing
    dimension: security
    description: Boats patrol the river.

  # People dimension
  - name: Youth
    id: youth
    dimension: people
    description: >-
      Young people take part.

  # Also people
  - name: Schools
    id: schools
    dimension: people
    keywords: [students]  # the site's word

# Sections of the site, not fields.
not_fields: [Projects]
"""


def test_write_adds_new_fields_above_the_comments_of_the_entries_they_precede(tmp_path):
    path = tmp_path / "commented.yaml"
    path.write_text(COMMENTED_TAXONOMY, encoding="utf-8")
    menu = ["Safe harbours", "Water policing", "River patrols", "Youth", "Schools", "Teachers", "Projects"]
    diff = sync_taxonomy(menu_page(tmp_path, menu), path, write=True)
    assert diff.added == ["Safe harbours", "River patrols", "Teachers"]
    assert (
        path.read_text(encoding="utf-8")
        == """\
dimensions:
  security: Security
  people: People

fields:
  - name: Safe harbours  # new on the site: write its description and keywords; check its dimension
    id: safe-harbours
    dimension: security
    description: ''
    keywords: []
    aliases: []
    subtopics: []

  # Security dimension
  - name: Water policing
    id: water-policing
    dimension: security
    description: Boats patrol the river.

  - name: River patrols  # new on the site: write its description and keywords; check its dimension
    id: river-patrols
    dimension: security
    description: ''
    keywords: []
    aliases: []
    subtopics: []

  # People dimension
  - name: Youth
    id: youth
    dimension: people
    description: >-
      Young people take part.

  # Also people
  - name: Schools
    id: schools
    dimension: people
    keywords: [students]  # the site's word

  - name: Teachers  # new on the site: write its description and keywords; check its dimension
    id: teachers
    dimension: security
    description: ''
    keywords: []
    aliases: []
    subtopics: []

# Sections of the site, not fields.
not_fields: [Projects]
"""
    )


def test_write_removes_and_renames_fields_keeping_the_comments_of_the_others(tmp_path):
    path = tmp_path / "commented.yaml"
    path.write_text(COMMENTED_TAXONOMY, encoding="utf-8")
    sync_taxonomy(menu_page(tmp_path, ["Water policing", "Schools"]), path, write=True)  # one in the middle
    assert (
        path.read_text(encoding="utf-8")
        == """\
dimensions:
  security: Security
  people: People

fields:
  # Security dimension
  - name: Water policing
    id: water-policing
    dimension: security
    description: Boats patrol the river.

  # Also people
  - name: Schools
    id: schools
    dimension: people
    keywords: [students]  # the site's word

# Sections of the site, not fields.
not_fields: [Projects]
"""
    )
    path.write_text(COMMENTED_TAXONOMY, encoding="utf-8")
    sync_taxonomy(menu_page(tmp_path, ["Young people"]), path, {"Youth": "Young people"}, write=True)  # first, last
    assert (
        path.read_text(encoding="utf-8")
        == """\
dimensions:
  security: Security
  people: People

fields:
  # People dimension
  - name: Young people
    id: youth
    dimension: people
    description: >-
      Young people take part.
    aliases: [Youth]

# Sections of the site, not fields.
not_fields: [Projects]
"""
    )


# Comments of two lines directly under `fields:`, a blank line holding spaces, entries ending in a block list, a flow
# list and a literal block scalar, and an indented comment after the last entry.
ODD_TAXONOMY = """\
dimensions: {d: D}
fields:
  # Arms and boats
  # both security
  - name: Arms
    id: arms
    dimension: d
    keywords:
      - guns
  \n\
  # Boats
  - name: Boats
    id: boats
    dimension: d
    aliases: [Ships]
  - name: Youth
    id: youth
    dimension: d
    description: |
      Kids.

    # the end
other: 1
"""
ODD_ARMS = "  # Arms and boats\n  # both security\n  - name: Arms\n    id: arms\n    dimension: d\n"
ODD_ARMS += "    keywords:\n      - guns\n"
ODD_BOATS = "  # Boats\n  - name: Boats\n    id: boats\n    dimension: d\n    aliases: [Ships]\n"
ODD_YOUTH = "  - name: Youth\n    id: youth\n    dimension: d\n    description: |\n      Kids.\n"
ODD_END = "\n    # the end\nother: 1\n"


@pytest.mark.parametrize(
    "menu, body",
    [
        (
            ["Aaa", "Arms", "Boats", "Youth"],
            NEW_ENTRY.format(name="Aaa", id="aaa", dimension="d") + "\n" + ODD_ARMS + "\n" + ODD_BOATS + ODD_YOUTH,
        ),
        (
            ["Arms", "Boats", "Youth", "Zed"],
            ODD_ARMS + "\n" + ODD_BOATS + ODD_YOUTH + "\n" + NEW_ENTRY.format(name="Zed", id="zed", dimension="d"),
        ),
        (["Boats", "Youth"], ODD_BOATS + ODD_YOUTH),  # the first removed
        (["Arms", "Youth"], ODD_ARMS + ODD_YOUTH),  # the middle one removed
        (["Arms", "Boats"], ODD_ARMS + "\n" + ODD_BOATS),  # the last one removed
    ],
)
def test_write_keeps_comments_of_two_lines_blank_lines_and_the_lines_after_the_last_entry(tmp_path, menu, body):
    path = tmp_path / "odd.yaml"
    path.write_text(ODD_TAXONOMY, encoding="utf-8")
    sync_taxonomy(menu_page(tmp_path, menu), path, write=True)
    assert path.read_text(encoding="utf-8") == "dimensions: {d: D}\nfields:\n" + body + ODD_END


# A blank line without a comment directly under `fields:`, entries not separated by blank lines, the last ending in a
# literal block scalar directly followed by a comment.
LEADING_BLANK_TAXONOMY = """\
dimensions: {d: D}
fields:

  - name: Arms
    id: arms
    dimension: d
  # Boats
  - name: Boats
    id: boats
    dimension: d
    description: |
      Ships.
# Sections of the site, not fields.
not_fields: [Projects]
"""
LEAD_ARMS = "  - name: Arms\n    id: arms\n    dimension: d\n"
LEAD_BOATS = "  # Boats\n  - name: Boats\n    id: boats\n    dimension: d\n    description: |\n      Ships.\n"


@pytest.mark.parametrize(
    "menu, removals, body",
    [
        (["Aaa", "Arms", "Boats"], (), NEW_ENTRY.format(name="Aaa", id="aaa", dimension="d") + LEAD_ARMS + LEAD_BOATS),
        (["Boats"], (), LEAD_BOATS),  # the first of two removed
        (["Arms"], (), LEAD_ARMS),  # the last removed
        (["Aaa", "Arms"], ["Boats"], NEW_ENTRY.format(name="Aaa", id="aaa", dimension="d") + LEAD_ARMS),  # one left
        (["Aaa"], ["Arms", "Boats"], NEW_ENTRY.format(name="Aaa", id="aaa", dimension="d")),  # every one replaced
        (["Arms", "Boats", "Zed"], (), LEAD_ARMS + LEAD_BOATS + NEW_ENTRY.format(name="Zed", id="zed", dimension="d")),
    ],
)
def test_write_keeps_a_blank_line_at_the_start_of_the_fields_and_adds_none_between_them(tmp_path, menu, removals, body):
    path = tmp_path / "lead.yaml"
    path.write_text(LEADING_BLANK_TAXONOMY, encoding="utf-8")
    sync_taxonomy(menu_page(tmp_path, menu), path, write=True, removals=removals)
    tail = "# Sections of the site, not fields.\nnot_fields: [Projects]\n"
    assert path.read_text(encoding="utf-8") == "dimensions: {d: D}\nfields:\n\n" + body + tail


def test_write_removing_the_first_of_entries_separated_by_blank_lines_leaves_no_blank_line_above_the_next(
    tmp_path, small_taxonomy
):
    sync_taxonomy(menu_page(tmp_path, ["Youth"]), small_taxonomy, write=True)
    assert small_taxonomy.read_text(encoding="utf-8") == (
        "# A small taxonomy for the tests.\ndimensions:\n  security: Security\n  people: People\n\n"
        "not_fields: [Projects]\n\nfields:\n  - name: Youth\n    id: youth\n    dimension: people\n"
        "    description: Young people take part.\n    keywords: [students, schools]\n    subtopics: []\n"
    )


def test_write_removing_every_field_keeps_the_blank_line_and_comment_after_the_list(tmp_path):
    path = tmp_path / "one.yaml"
    entry = "  - name: Arms\n    id: arms\n    dimension: d\n"
    path.write_text("dimensions: {d: D}\nfields:\n" + entry + "\n# tail\nnot_fields: [Projects]\n", encoding="utf-8")
    diff = sync_taxonomy(menu_page(tmp_path, ["Projects"]), path, write=True)
    assert diff.removed == ["Arms"] and diff.added == []
    assert path.read_text(encoding="utf-8") == "dimensions: {d: D}\nfields: []\n\n# tail\nnot_fields: [Projects]\n"
