"""The `classifier` command line: thin wrappers over the library, one command per task."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    help="Suggest OSCE fields of work for policy texts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
taxonomy_app = typer.Typer(help="Show the label taxonomy.", invoke_without_command=True)
app.add_typer(taxonomy_app, name="taxonomy")


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class TableFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


ModelOption = Annotated[
    Optional[Path], typer.Option("--model", "-m", help="Model bundle directory (default: the shipped model).")
]
TaxonomyOption = Annotated[
    Optional[Path], typer.Option("--taxonomy", help="taxonomy.yaml to use (default: the shipped one).")
]
IdColumn = Annotated[str, typer.Option("--id-column", help="Table column holding document ids.")]
TitleColumn = Annotated[str, typer.Option("--title-column", help="Table column holding titles.")]
TextColumn = Annotated[str, typer.Option("--text-column", help="Table column holding the text.")]
LabelsColumn = Annotated[str, typer.Option("--labels-column", help="Table column holding labels.")]
GlobOption = Annotated[str, typer.Option("--glob", help="File name pattern for directory inputs.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    for line in str(message).splitlines() or [""]:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(code)


def _load(model: Optional[Path], taxonomy: Optional[Path]):
    from classifier.bundle import BundleError, load_model
    from classifier.taxonomy import Taxonomy, TaxonomyError

    try:
        tax = Taxonomy.from_yaml(taxonomy) if taxonomy else None
        return load_model(model, tax)
    except (BundleError, TaxonomyError) as exc:
        raise _fail(str(exc)) from None


def _columns(id_column="id", title_column="title", text_column="text", labels_column="labels"):
    from classifier.corpus import Columns

    return Columns(id=id_column, title=title_column, text=text_column, labels=labels_column)


@app.command()
def suggest(
    paths: Annotated[list[str], typer.Argument(help="Pages, plain-text files, directories, globs or tables; - reads stdin.")],
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="How many fields to show per input.")] = 5,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text for people, json for one object per line.")] = OutputFormat.text,
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    glob: GlobOption = "*.txt",
    explain: Annotated[bool, typer.Option("--explain", help="Show the terms that pushed each accepted field.")] = False,
) -> None:
    """Suggest fields of work for each input, best first; accepted fields are marked with *."""
    from classifier.corpus import read_documents

    loaded = _load(model, taxonomy)
    failed = 0
    documents = []
    for doc in read_documents(paths, pattern=glob):
        if doc.error:
            failed += 1
            typer.echo(f"error: {doc.error}", err=True)
        else:
            documents.append(doc)
    if documents:
        proba = loaded.predict_proba_documents(documents)
        suggestions = loaded.suggestions_from_proba(proba, [doc.title for doc in documents])
        if explain:
            suggestions = loaded.with_evidence(suggestions, [doc.model_text for doc in documents])
        for doc, suggestion in zip(documents, suggestions):
            if format is OutputFormat.json:
                typer.echo(json.dumps({"path": doc.origin, **suggestion.to_dict(top)}, ensure_ascii=False))
            else:
                typer.echo(_suggestion_text(doc.origin, suggestion, top))
    if failed:
        raise typer.Exit(1)


def _suggestion_text(origin: str, suggestion, top: int) -> str:
    lines = [origin]
    if suggestion.title:
        lines.append(f"  {suggestion.title}")
    width = max(len(label) for label, _ in suggestion.scores[:top])
    for label, score in suggestion.scores[:top]:
        mark = "*" if label in suggestion.labels else " "
        lines.append(f"  {mark} {label:{width}}  {score:.2f}")
        if suggestion.evidence and label in suggestion.evidence:
            terms = ", ".join(f"{term} ({weight:.2f})" for term, weight in suggestion.evidence[label])
            lines.append(f"      because of: {terms}")
    return "\n".join(lines) + "\n"


@app.command()
def tag(
    inputs: Annotated[list[str], typer.Argument(help="Directories, globs, files, or JSONL/CSV/Parquet tables.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file; written whole or not at all.")],
    format: Annotated[Optional[TableFormat], typer.Option("--format", "-f", help="Output format (default: from the file suffix, else jsonl).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    glob: GlobOption = "*.txt",
) -> None:
    """Tag a whole corpus: one output row per document (id, labels, scores, error)."""
    from classifier.tagging import tag as tag_corpus

    loaded = _load(model, taxonomy)
    columns = _columns(id_column, title_column, text_column)
    show_progress = sys.stderr.isatty()
    progress = _Progress() if show_progress else None
    try:
        summary = tag_corpus(
            loaded, inputs, output, format=format.value if format else None, columns=columns,
            pattern=glob, force=force, on_row=progress.tick if progress else None,
        )
    except FileExistsError as exc:
        raise _fail(str(exc)) from None
    finally:
        if progress:
            progress.close()
    typer.echo(summary.line(), err=True)
    if summary.failed:
        raise typer.Exit(1)


class _Progress:
    """A one-line counter on stderr when it is a terminal."""

    def __init__(self):
        self.count = 0

    def tick(self, row: dict) -> None:
        self.count += 1
        if self.count % 100 == 0:
            sys.stderr.write(f"\rtagged {self.count} documents")
            sys.stderr.flush()

    def close(self) -> None:
        if self.count >= 100:
            sys.stderr.write("\n")


@app.command()
def train(
    data: Annotated[list[str], typer.Argument(help="Labelled documents: pages with a Fields of work block, or tables with labels.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Bundle directory to write.")] = Path("models/default"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same data and seed give the same model.")] = 0,
    taxonomy: TaxonomyOption = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Processes for cross-validation (default: 1).")] = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    labels_column: LabelsColumn = "labels",
    glob: GlobOption = "*.txt",
) -> None:
    """Train a model, print its cross-validated metrics and write the bundle."""
    from classifier.corpus import UnknownLabelsError
    from classifier.evaluation import format_report
    from classifier.taxonomy import Taxonomy, TaxonomyError
    from classifier.train import TrainingDataError, train as train_model

    try:
        tax = Taxonomy.from_yaml(taxonomy) if taxonomy else None
        _, metrics = train_model(
            data, output, seed=seed, taxonomy=tax, n_jobs=jobs,
            columns=_columns(id_column, title_column, text_column, labels_column), pattern=glob,
        )
    except (TrainingDataError, UnknownLabelsError, TaxonomyError) as exc:
        raise _fail(str(exc)) from None
    typer.echo("Cross-validated metrics (5 folds, thresholds tuned on the other folds):")
    typer.echo(format_report(metrics))
    typer.echo(f"\nwrote {output}")


@app.command()
def evaluate(
    data: Annotated[list[str], typer.Argument(help="Labelled documents to evaluate on.")],
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.text,
    report: Annotated[Optional[Path], typer.Option("--report", help="Also write an HTML report with plots to this file.")] = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    labels_column: LabelsColumn = "labels",
    glob: GlobOption = "*.txt",
) -> None:
    """Measure a model on labelled data: micro, macro and samples P/R/F1, P@1, R@3, nDCG@3, per field."""
    from classifier.corpus import UnknownLabelsError
    from classifier.evaluation import evaluate_model, format_report
    from classifier.report import ReportError
    from classifier.taxonomy import Taxonomy
    from classifier.train import TrainingDataError

    loaded = _load(model, taxonomy)
    try:
        metrics = evaluate_model(
            loaded, data, taxonomy=Taxonomy.from_yaml(taxonomy) if taxonomy else None,
            columns=_columns(id_column, title_column, text_column, labels_column), pattern=glob, report=report,
        )
    except (TrainingDataError, UnknownLabelsError, ReportError) as exc:
        raise _fail(str(exc)) from None
    if format is OutputFormat.json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
    else:
        typer.echo(format_report(metrics))
    if report is not None:
        typer.echo(f"wrote {report}", err=True)


@app.command()
def parse(pages: Annotated[list[str], typer.Argument(help="Scraped pages or plain-text files; - reads stdin.")]) -> None:
    """Print each parsed release as JSON: exactly what the model reads, menus removed."""
    from classifier.release import parse_release
    from classifier.textio import InputError, decode_bytes, read_text

    failed = 0
    for page in pages:
        try:
            text = decode_bytes(sys.stdin.buffer.read(), "<stdin>") if page == "-" else read_text(page)
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            failed += 1
            continue
        typer.echo(json.dumps({"path": page, **parse_release(text).to_dict()}, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@taxonomy_app.callback()
def show_taxonomy(ctx: typer.Context, taxonomy: TaxonomyOption = None) -> None:
    """Show the fields of work as a tree by OSCE dimension."""
    if ctx.invoked_subcommand is not None:
        return
    from classifier.taxonomy import Taxonomy, TaxonomyError, default_taxonomy

    try:
        tax = Taxonomy.from_yaml(taxonomy) if taxonomy else default_taxonomy()
    except TaxonomyError as exc:
        raise _fail(str(exc)) from None
    for dimension, fields in tax.by_dimension().items():
        typer.echo(tax.dimensions[dimension])
        for i, field in enumerate(fields):
            branch = "└──" if i == len(fields) - 1 else "├──"
            extra = [*field.subtopics]
            typer.echo(f"  {branch} {field.name}" + (f"  (sub-topics: {', '.join(extra)})" if extra else ""))


def main() -> None:
    app()
