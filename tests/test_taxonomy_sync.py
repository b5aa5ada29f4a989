import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.taxonomy.fields import Taxonomy
from classifier.workflows.taxonomy_sync import SyncError, diff_taxonomy, fields_menu, name_similarity, sync_taxonomy

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
