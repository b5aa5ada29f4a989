"""Write a benchmark's results table into a Markdown file, between its own start and end markers."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_section(path: Path, name: str, table: str) -> None:
    """Replace the block `<!-- name:start -->...<!-- name:end -->` in `path`, or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start_mark}\n{table}\n{end_mark}"
    if start_mark in text:
        before, rest = text.split(start_mark, 1)
        text = before + block + rest.split(end_mark, 1)[1]
    else:
        text = text + "\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def publish(table: str, path: Path | None, name: str) -> None:
    """Print a benchmark's table, and write it into `path` (its `name` section) when one is given."""
    print(table)
    if path:
        write_section(path, name, table)


def byte_compiled(root: Path = ROOT) -> None:
    """Compile the package under `root` (this checkout, or a commit extracted to compare with) to bytecode, as
    `pip install` does when it installs it: the processes timed then load each module's bytecode as a user's do,
    instead of compiling the sources at every start where writing bytecode is off (PYTHONDONTWRITEBYTECODE),
    which cost about 0.1 CPU s a process here, an eighth of `classifier suggest`. The peers, numpy, scipy and
    scikit-learn are installed packages, compiled when they were installed."""
    import compileall  # only where a benchmark times processes

    if not compileall.compile_dir(root / "classifier", quiet=1):
        raise SystemExit(f"could not compile {root / 'classifier'}")
