"""Globs are expanded as Python's glob expands them, but each folder is entered once: symlink loops end."""

import glob
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.corpus.documents import expand_inputs, find_input, read_documents
from classifier.corpus.globbing import glob_paths, would_match

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")

PAGE = "Observers watched the vote count in every polling station.\n"


def page(path, text=PAGE):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PATTERNS = [
    "t/**/*.txt",
    "t/**",
    "t/**/",
    "t/*/*.txt",
    "t/*",
    "t/*/",
    "t/.*",
    "t/.*/**/*.txt",
    "t/**/.*",
    "t/a/**/b/*",
    "t/[ac]/*.txt",
    "t/?/**/*.txt",
    "t/a*/b/*.txt",
    "t//a/*.txt",
    "./t/**/*.txt",
    "t/**/**/*.txt",
    "**/*.txt",
    "**",
    "*.txt",
    ".*/*.txt",
    "none/**/*.txt",
    "t/a/y.txt",  # no wildcard: the path itself
    "t/a/none.txt",
]
TREE = ["t/x.txt", "t/a/y.txt", "t/a/b/z.txt", "t/a/b/.hidden.txt", "t/.h/c/w.txt", "t/c/v.md"]
TREE += ["t/c/q.txt", "t/.dot.txt", ".top/n.txt", "root.txt"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_without_links_a_glob_names_what_python_glob_names(tmp_path, monkeypatch, pattern):
    for name in TREE:
        page(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert glob_paths(pattern) == sorted(set(glob.glob(pattern, recursive=True)))
    absolute = str(tmp_path / pattern)
    assert glob_paths(absolute) == sorted(set(glob.glob(absolute, recursive=True)))


@pytest.mark.parametrize("pattern", [pattern for pattern in PATTERNS if not pattern.endswith("/")])  # files only
def test_an_output_not_written_yet_is_matched_where_the_glob_would_name_it(tmp_path, monkeypatch, pattern):
    # What Python's glob names of the tree's files, then, the tree gone, what would_match says of each path.
    for name in TREE:
        page(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    named = {os.path.normpath(path) for path in glob.glob(pattern, recursive=True)}
    expected = {name: os.path.normpath(name) in named for name in TREE}
    for name in TREE:
        os.remove(name)
    assert {name: would_match(pattern, name) for name in TREE} == expected
    assert {name: would_match(str(tmp_path / pattern), str(tmp_path / name)) for name in TREE} == expected


def test_two_symlink_loops_are_walked_once_by_suggest_and_tag(tmp_path):
    """Each loop doubled the paths `**` followed: with two, the glob never ended and its memory kept growing."""
    page(tmp_path / "loop" / "sub" / "page.txt")
    (tmp_path / "loop" / "sub" / "up").symlink_to("..")
    (tmp_path / "loop" / "self").symlink_to("../loop")
    pattern = str(tmp_path / "loop" / "**" / "*.txt")
    command = [sys.executable, "-m", "classifier"]
    suggested = subprocess.run([*command, "suggest", pattern, "--format", "json"], capture_output=True, timeout=120)
    assert suggested.returncode == 0, suggested.stderr
    assert [json.loads(line)["path"] for line in suggested.stdout.splitlines()] == [
        str(tmp_path / "loop" / "sub" / "page.txt")
    ]
    output = tmp_path / "tags.jsonl"  # not matched: `tag` looks through the whole glob for it
    tagged = subprocess.run([*command, "tag", pattern, "-o", str(output)], capture_output=True, timeout=120)
    assert tagged.returncode == 0, tagged.stderr
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == [str(tmp_path / "loop" / "sub" / "page.txt")]


def test_a_file_is_read_once_under_its_own_folder_whatever_the_links_are_named(tmp_path, monkeypatch):
    page(tmp_path / "gl" / "real" / "a.txt")
    page(tmp_path / "gl" / "mm" / "b.txt")  # a real folder sorting between the links to another one
    for link in ["alias", "zlink", "aa"]:
        (tmp_path / "gl" / link).symlink_to("real")
    monkeypatch.chdir(tmp_path)
    for pattern in ["gl/**/*.txt", "gl/*/*.txt"]:
        assert [doc.id for doc in read_documents([pattern])] == ["gl/mm/b.txt", "gl/real/a.txt"]
    result = CliRunner().invoke(app, ["tag", "gl/**/*.txt", "--output", "gl.jsonl"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("2 documents tagged")
    rows = [json.loads(line) for line in (tmp_path / "gl.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["gl/mm/b.txt", "gl/real/a.txt"]


def test_a_folder_linking_to_itself_gives_no_path_forty_folders_deep(tmp_path):
    found = page(tmp_path / "loop3" / "sub" / "x.txt")
    (tmp_path / "loop3" / "self").symlink_to("../loop3")
    assert list(expand_inputs([str(tmp_path / "loop3" / "**" / "*.txt")])) == [(str(found), "text")]


def test_a_symlinked_folder_leading_elsewhere_is_still_followed_once(tmp_path):
    outside = page(tmp_path / "elsewhere" / "deep" / "e.txt")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "whole").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "pages" / "part").symlink_to(tmp_path / "elsewhere" / "deep")  # the same files again
    pattern = str(tmp_path / "pages" / "**" / "*.txt")
    assert [doc.id for doc in read_documents([pattern])] == [str(tmp_path / "pages" / "part" / "e.txt")]
    assert find_input(outside, [pattern]) == pattern  # tag would refuse to write over it


def test_an_output_reached_by_a_glob_through_a_link_of_another_name_is_an_input(tmp_path):
    target = page(tmp_path / "data" / "out.jsonl")
    (tmp_path / "data" / "alias.txt").symlink_to("out.jsonl")  # the glob names the output under another name
    page(tmp_path / "data" / "other.txt")
    pattern = str(tmp_path / "data" / "*.txt")
    assert find_input(target, [pattern]) == pattern
    (tmp_path / "data" / "alias.txt").unlink()
    assert find_input(target, [pattern]) is None
