"""The `classifier` command line: thin wrappers over the library, one command per task."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
import typer.core
from typer.core import TyperGroup

from classifier.errors import ClassifierError
from classifier.options import (
    GLOB_SEPARATOR,
    KEYWORD_EXAMPLES,
    LEAD_PHRASE_ACCEPT,
    MAX_JOBS,
    PHRASE_ACCEPT,
    PICK_STRATEGIES,
    TABLE_FORMATS,
    WINDOW_PHRASE_ACCEPT,
)

# The click typer parses with: its own copy (`_click`) in recent versions, the click package before.
_CLICK = getattr(typer.core, "_click", None) or typer.core.click


class _Commands(TyperGroup):
    """The one place errors are caught: library functions raise, commands and callbacks let them through,
    and every ClassifierError becomes `error: <line>` on stderr with its exit code."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _CLICK.exceptions.NoArgsIsHelpError as exc:  # `classifier` alone: the help, not an error line
            typer.echo(exc.ctx.get_help(), err=True)
            raise typer.Exit(2) from None
        except _CLICK.exceptions.UsageError as exc:  # an option of `classifier` itself
            raise _UsageLine(exc.format_message(), exc.ctx) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ClassifierError as exc:
            message = getattr(exc, "command_line", None) or str(exc)  # in the words of its options, not Python's
            raise _fail(message, code=exc.exit_code) from None
        except _UsageLine:  # made already by a group within this one (`taxonomy sync`), naming its command
            raise
        except _CLICK.exceptions.UsageError as exc:  # a bad option or argument: one line, as every other error
            # An option's missing value is raised with no context: the command being read is the one to name.
            command = f"{ctx.command_path} {ctx.invoked_subcommand}" if ctx.invoked_subcommand else None
            raise _UsageLine(exc.format_message(), exc.ctx, command) from None
        except BrokenPipeError:  # the reader went away (`| head -1`): quietly, with the status a shell gives it
            _quiet_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except OSError as exc:  # a disk full or a stream closed under a command: what the system said, in one line
            where = f"{exc.filename}: " if exc.filename else ""
            stopped = "; nothing more was written" if exc.errno in WRITE_STOPPED else ""
            raise _fail(f"{where}{exc.strerror or exc} (errno {exc.errno}){stopped}") from None
        except KeyboardInterrupt:  # a command with nothing of its own to say about what it kept
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None


# 128 + SIGPIPE, what a shell reports for a command whose reader closed the pipe.
EXIT_BROKEN_PIPE = 141
# Errors that stop a write (a full disk or quota, a failing device, a closed stream): the message says so.
WRITE_STOPPED = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EBADF, errno.EFBIG, errno.EROFS}


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit finds no closed pipe to complain about."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no stdout to point anywhere
        pass


class _UsageLine(_CLICK.exceptions.UsageError):
    """A usage error shown as one line, naming the command's --help, exit 2 (click's own takes three)."""

    def __init__(self, message: str, ctx=None, command: str | None = None):
        super().__init__(message, ctx)
        self.command = command  # where the error has no context of its own

    def show(self, file=None) -> None:
        command = self.ctx.command_path if self.ctx is not None else self.command or "classifier"
        typer.echo(f"error: {self.format_message().rstrip('.')} (see {command} --help)", err=True)


# A short runnable example per command, shown at the end of its --help (run from a checkout: the files are the
# project's own); tests/test_docs.py checks that every command has one and that its files and options exist.
EXAMPLES = {
    "suggest": [
        "classifier suggest examples/election-observation-kyrgyzstan.txt --top 3",
        "classifier suggest --lines examples/lines/six-items.txt --format json --threshold 0.2 --limit 2",
    ],
    "tag": ["classifier tag training/data/unlabelled.jsonl --output tags.jsonl --jobs 2"],
    "train": ["classifier train training/data/releases.jsonl --output models/mine --seed 1"],
    "evaluate": ["classifier evaluate training/data/releases.jsonl --model models/default --threshold 0.3"],
    # Compared on documents neither model was trained on (the shipped model was trained on the whole corpus).
    "compare": [
        "classifier train examples/retraining/base.jsonl --output models/old --seed 1",
        "classifier train examples/retraining/labelled.jsonl --base models/old --output models/new --seed 1",
        "classifier compare models/old models/new examples/retraining/held_out.jsonl",
    ],
    "pick": ["classifier pick training/data/unlabelled.jsonl --n 5 --output to_label.jsonl"],
    "serve": ["classifier serve --port 8000 --model models/default"],
    "parse": ["classifier parse examples/election-observation-kyrgyzstan.txt"],
    "taxonomy": ["classifier taxonomy"],
    "taxonomy sync": ["classifier taxonomy sync examples/election-observation-kyrgyzstan.txt"],
}


def _examples(command: str) -> str:
    return "Example" + ("s" if len(EXAMPLES[command]) > 1 else "") + ":\n\n" + "\n\n".join(EXAMPLES[command])


app = typer.Typer(
    cls=_Commands,
    help=(
        "Suggest OSCE fields of work for policy texts. Commands: suggest, tag, train, evaluate, compare, pick, "
        "serve, parse, taxonomy and taxonomy sync; the --help of each ends with an example."
    ),
    epilog=(
        "Start with: classifier suggest examples/election-observation-kyrgyzstan.txt\n\n"
        "Keep the taxonomy current: classifier taxonomy sync PAGE --write"
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
taxonomy_app = typer.Typer(
    cls=_Commands,
    help="Show the fields of work; taxonomy sync compares them with a scraped page's Fields of work menu.",
    invoke_without_command=True,
    epilog=_examples("taxonomy"),
)
app.add_typer(taxonomy_app, name="taxonomy")


# Allowed values live with the code that uses them; the command line only lists them.
KeywordExamples = Enum("KeywordExamples", {value: value for value in KEYWORD_EXAMPLES}, type=str)
PickStrategy = Enum("PickStrategy", {value: value for value in PICK_STRATEGIES}, type=str)
TableFormat = Enum("TableFormat", {value: value for value in TABLE_FORMATS}, type=str)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


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


def _globs(patterns: list[str] | str) -> str:
    """Every --glob given (a later one used to replace an earlier one unsaid), as the one value the readers take."""
    return GLOB_SEPARATOR.join([patterns] if isinstance(patterns, str) else patterns or ["*.txt"])


GlobOption = Annotated[
    list[str],
    typer.Option(
        "--glob",
        help="File name glob for directory inputs, matched in any case (*.txt reads A.TXT); repeat for several "
        "(a file matching any).",
    ),
]


def _not_nan(value: float | None) -> float | None:
    """A float option's value, NaN refused: a range lets it through (it compares false with both ends), and then
    every comparison it should gate fails too (`compare --max-drop nan` found no regression, exit 0)."""
    if value is not None and math.isnan(value):
        raise typer.BadParameter("nan is not a number")
    return value


# Annif's names and meaning; without them the model's tuned per-field thresholds choose the fields.
LimitOption = Annotated[
    Optional[int],
    typer.Option(
        "--limit", "-l", min=0, help="Accept at most N fields per document, the best first (default: no limit)."
    ),
]
ThresholdOption = Annotated[
    Optional[float],
    typer.Option(
        "--threshold",
        "-t",
        min=0.0,
        max=1.0,
        help="Accept every field scoring at least this, in place of the model's tuned per-field thresholds.",
    ),
]
# What `pip install '.[serve]'` brings; without them `serve` says so in one line.
SERVE_EXTRA_MODULES = {"fastapi", "uvicorn", "starlette", "pydantic", "anyio"}


def _print_version(value: bool) -> None:
    if value:
        from classifier import __version__  # on first use: keeps start-up light

        typer.echo(f"classifier {__version__}")
        raise typer.Exit()


@app.callback()
def _check_settings(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    # Settings from the environment are checked before any command runs, so a bad value is a
    # usage error (exit 2) instead of a failure halfway through reading the inputs.
    from classifier.io.textio import max_text_chars  # on first use: keeps start-up light

    max_text_chars()


def _fail(message: str, code: int = 1) -> typer.Exit:
    for line in str(message).splitlines() or [""]:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(code)


def _taxonomy(taxonomy: Optional[Path]):
    from classifier.taxonomy.fields import Taxonomy  # on first use: keeps start-up light

    return Taxonomy.from_yaml(taxonomy) if taxonomy else None


def _load(model: Optional[Path], taxonomy: Optional[Path]):
    from classifier.bundle.storage import load_model  # on first use: keeps start-up light
    from classifier.taxonomy.fields import default_taxonomy  # on first use: keeps start-up light

    chosen = _taxonomy(taxonomy) or default_taxonomy()
    loaded = load_model(model, chosen)
    trained_with = loaded.metadata.get("taxonomy_sha256")
    if chosen.sha256 and trained_with and trained_with != chosen.sha256:
        # Its fields fit, but their phrases (names, aliases, sub-topics, keywords) are the ones it was trained with.
        typer.echo(
            f"warning: {chosen.path} has changed since {loaded.path} was trained: the model reads each field by the "
            f"phrases it was trained with until it is retrained (classifier train --base {loaded.path} ...)",
            err=True,
        )
    return loaded


def _report_problem(kind: str, message: str) -> None:
    """One line on stderr per problem with a document: a line break in it (a file's name may hold one) is escaped."""
    from classifier.io.textio import one_line  # on first use: keeps start-up light

    typer.echo(f"{kind}: {one_line(message, max_chars=None)}", err=True)


def _columns(id_column="id", title_column="title", text_column="text", labels_column="labels"):
    from classifier.corpus.documents import Columns  # on first use: keeps start-up light

    return Columns(id=id_column, title=title_column, text=text_column, labels=labels_column)


@app.command(epilog=_examples("suggest"))
def suggest(
    paths: Annotated[
        list[str], typer.Argument(help="Pages, plain-text files, directories, globs or tables; - reads stdin.")
    ],
    top: Annotated[
        int,
        typer.Option(
            "--top", "-k", min=1, help="How many fields to show per input; an accepted field is always shown."
        ),
    ] = 5,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for one object per line.")
    ] = OutputFormat.text,
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    explain: Annotated[bool, typer.Option("--explain", help="Show the terms that pushed each accepted field.")] = False,
    limit: LimitOption = None,
    threshold: ThresholdOption = None,
    lines: Annotated[
        bool,
        typer.Option(
            "--lines",
            help="Read one document per line of each input (- for stdin), ids are line numbers; blank lines reported.",
        ),
    ] = False,
) -> None:
    """Suggest fields of work for each input, best first; accepted fields are marked with *."""
    glob = _globs(glob)
    from classifier.corpus.documents import read_documents, reported  # on first use: keeps start-up light

    loaded = _load(model, taxonomy)
    if lines:
        _suggest_lines(loaded, paths, format, top, explain=explain, limit=limit, threshold=threshold)
        return
    columns = _columns(id_column, title_column, text_column)
    documents = list(reported(read_documents(paths, columns, glob=glob), _report_problem))
    suggestions = loaded.suggest_documents(documents, explain=explain, limit=limit, threshold=threshold)
    for doc, suggestion in zip(documents, suggestions):
        # JSON gives every input its line, a failed one with its `error`, so that a script can match them up.
        if not doc.error or format is OutputFormat.json:
            _print_suggestion(doc, suggestion, format, top, loaded.fingerprint, id=doc.id)  # as `tag` names it
    if any(doc.error for doc in documents):
        raise typer.Exit(1)


def _print_suggestion(doc, suggestion, format: OutputFormat, top: int, fingerprint: str, **extra) -> None:
    from classifier.io.tagfiles import escape_surrogates, json_line  # on first use: keeps start-up light

    if format is OutputFormat.json:
        row = {"path": doc.origin, **extra, **suggestion.to_dict(top), "model": fingerprint}
        typer.echo(json_line(row), nl=False)
    else:
        typer.echo(suggestion.to_text(escape_surrogates(doc.origin), top))


def _suggest_lines(loaded, paths, format: OutputFormat, top: int, **options) -> None:
    """One document per line, fastText's way: one answer per input line, in order. A blank or unreadable line is
    reported on stderr; in JSON it still gets its line (no labels, its `error`), so that the output lines up with
    the input. Blank lines are not failures; an unreadable line or input is (exit 1)."""
    from classifier.bundle.suggestion import Suggestion  # on first use: keeps start-up light
    from classifier.corpus.documents import (  # on first use: keeps start-up light
        is_blank_line,
        read_line_records,
        to_document,
    )

    failed = 0
    documents = (to_document(record) for record in read_line_records(paths))
    for doc, suggestion in loaded.suggest_stream(documents, **options):
        if doc.error:
            blank = is_blank_line(doc)
            failed += not blank
            _report_problem("warning" if blank else "error", doc.error)
            if format is OutputFormat.json and doc.id != doc.origin:  # a line, not an input that could not be opened
                empty = Suggestion("", [], [])
                _print_suggestion(doc, empty, format, top, loaded.fingerprint, id=doc.id, error=doc.error)
            continue
        if doc.warning:
            _report_problem("warning", doc.warning)
        _print_suggestion(doc, suggestion, format, top, loaded.fingerprint, id=doc.id)
    if failed:
        raise typer.Exit(1)


@app.command(epilog=_examples("tag"))
def tag(
    inputs: Annotated[list[str], typer.Argument(help="Directories, globs, files, or JSONL/CSV/Parquet tables.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output file, written as it goes: whole rows after every chunk.")
    ],
    format: Annotated[
        Optional[TableFormat],
        typer.Option(
            "--format", "-f", help="Output format (default: the output's suffix, .jsonl, .csv or .parquet; jsonl on -)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run: keep the output's rows and tag the rest.")
    ] = False,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", min=1, max=MAX_JOBS, help="Worker processes (default: every core)."),
    ] = None,
    dask: Annotated[
        Optional[str],
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' for one on this machine.",
        ),
    ] = None,
    chunk_size: Annotated[
        Optional[int],
        typer.Option(
            "--chunk-size",
            min=1,
            help=(
                "Documents per chunk (default: 512): the unit of work, of output writes, and of what an "
                "interruption can lose."
            ),
        ),
    ] = None,
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
    limit: LimitOption = None,
    threshold: ThresholdOption = None,
) -> None:
    """Tag a whole corpus: one output row per document (id, labels, scores, error, warning, flag, model)."""
    glob = _globs(glob)
    from classifier.workflows.tagging import tag as tag_corpus  # on first use: keeps start-up light

    if force and resume:
        raise _fail("--force starts over and --resume continues: pass one of them", code=2)
    progress = _ProgressBar("loading the model")
    opened: list[int] = []  # told once the output is open for this run: only then can it hold rows to resume

    def started(resumed: int) -> None:
        opened.append(resumed)
        progress.stage("tagging", base=resumed)

    try:
        loaded = _load(model, taxonomy)
        columns = _columns(id_column, title_column, text_column)
        if progress.progress is not None:
            progress.stage("tagging")
            _count_in_background(progress, inputs, columns, glob)
        summary = tag_corpus(
            loaded,
            inputs,
            output,
            format=format.value if format else None,
            columns=columns,
            glob=glob,
            force=force,
            resume=resume,
            jobs=jobs,
            dask=dask,
            **({"chunk_size": chunk_size} if chunk_size else {}),
            limit=limit,
            threshold=threshold,
            on_progress=_progressed(progress.update),
            on_input_error=lambda message: _report_problem("error", message),
            on_input_warning=lambda message: _report_problem("warning", message),
            on_start=started,
        )
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean exit
        progress.close()  # ends the bar before the message; `finally` then has nothing to end
        typer.echo(_interrupted_tag(output, bool(opened)), err=True)
        raise typer.Exit(130) from None
    finally:
        progress.close()
    typer.echo(summary.line(), err=True)
    if summary.failed or summary.resumed_failed:  # the output holds failed rows, from this run or the one resumed
        raise typer.Exit(1)


def _interrupted_tag(output: Path, opened: bool) -> str:
    """What an interrupted `tag` kept: rows printed, or an output to resume, or (stopped before it opened its
    output, while reading its inputs or loading the model) nothing."""
    from classifier.io.tagfiles import STDOUT, parts_folder  # on first use: keeps start-up light

    if str(output) == STDOUT:  # what was printed was printed; a stream cannot be resumed
        return "interrupted: the rows printed so far are whole; run it again to tag them all"
    if not opened:
        return "interrupted"
    parts = parts_folder(output)
    kept = f"{output} holds whole rows so far" if not parts.is_dir() else f"{parts} holds the whole parts so far"
    return f"interrupted: {kept}; run the same command with --resume to finish"


def _count_in_background(progress: "_ProgressBar", inputs, columns, glob: str) -> None:
    """The bar's total, counted beside the work so that the work starts at once (a bar without one still counts)."""
    import threading  # on first use: keeps start-up light

    from classifier.corpus.documents import count_records  # on first use: keeps start-up light

    def count() -> None:
        try:
            progress.set_total(count_records(inputs, columns, glob))
        except (ClassifierError, OSError):
            pass  # the work itself reports what cannot be read

    threading.Thread(target=count, name="count-inputs", daemon=True).start()


class _ProgressBar:
    """A progress bar on stderr (done of total, rate, time left) when stderr is a terminal; when it is not (a pipe,
    a log, the tests), nothing at all, so the output stays what it was. It shows at once, before the model
    loads: a bar that first appears after seconds looks like a hang."""

    def __init__(self, description: str, unit: str | None = "documents"):
        self.progress = None
        self.unit, self.base, self.completed = unit, 0, 0
        if not sys.stderr.isatty():
            return
        from rich.console import Console  # on first use: only a terminal needs it, and it costs start-up time
        from rich.progress import (  # on first use: only a terminal needs it, and it costs start-up time
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("left"),
            console=Console(stderr=True),
        )
        self.task = self.progress.add_task(description, total=None, rate="")
        self.progress.start()

    def stage(self, description: str, total: int | None = None, base: int = 0) -> None:
        """A new stage: its description, its total if known, and what was done before this run (a resume)."""
        self.base, self.completed = base, base
        if self.progress is not None:
            self.progress.refresh()  # the last stage as it ended, before the next one replaces it
            if total is None and self._task().description == description:
                total = self._task().total  # the same stage again (tagging, once a resumed output is open)
            self.progress.update(self.task, visible=False)
            self.task = self.progress.add_task(description, total=total, completed=base, rate="")

    def set_total(self, total: int | None) -> None:
        if self.progress is not None and total is not None:
            self.progress.update(self.task, total=max(total, self.completed))

    def update(self, done: int, total: int | None = None) -> None:
        """`done` in this run (on top of `base`), of `total` if given."""
        self.completed = self.base + done
        if self.progress is None:
            return
        task = self._task()
        elapsed = task.elapsed or 0.0
        rate = f"{done / elapsed:,.0f} {self.unit}/s" if self.unit and elapsed and done else ""
        if total is not None:
            self.progress.update(self.task, total=max(total, self.completed))
        elif task.total is not None and self.completed > task.total:
            self.progress.update(self.task, total=self.completed)  # a count made before reading was short
        self.progress.update(self.task, completed=self.completed, rate=rate)
        if task.total is not None and self.completed >= task.total:
            self.progress.refresh()  # the end is shown, however soon the next stage or the summary follows

    def _task(self):
        return next(task for task in self.progress.tasks if task.id == self.task)

    def training_stage(self, stage: str, done: int, total: int | None) -> None:
        """`on_progress` of `train`: a stage as it starts (done 0), then the folds fitted."""
        if done == 0:
            self.stage(TRAINING_STAGES[stage], total)
        else:
            self.update(done, total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


TRAINING_STAGES = {
    "reading": "reading the data",
    "fitting": "training (folds, then the final fit)",
    "saving": "saving the bundle",
}


@app.command(epilog=_examples("train"))
def train(
    # Required, with no default: a default folder would be written where the user never asked (once, the shipped
    # model in a checkout, which `suggest` then used unsaid).
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Bundle directory to write (required): a new or empty folder, or a bundle."
        ),
    ],
    data: Annotated[
        Optional[list[str]],
        typer.Argument(help="Labelled documents: pages with a Fields of work block, or tables with labels."),
    ] = None,
    base: Annotated[
        Optional[Path],
        typer.Option(
            "--base",
            help="Also train on the documents this bundle was trained on (duplicates merged, conflicts reported).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same data and seed give the same model.")] = 0,
    min_examples: Annotated[
        int, typer.Option("--min-examples", min=0, help="Fields with fewer examples are flagged low-confidence.")
    ] = 20,
    keyword_examples: Annotated[
        KeywordExamples,
        typer.Option(
            "--keyword-examples",
            help=(
                "Which fields get their taxonomy keywords as one extra training example: all (with examples), "
                "rare (under --min-examples) or none."
            ),
        ),
    ] = KeywordExamples.all,
    phrase_accept: Annotated[
        int,
        typer.Option(
            "--phrase-accept",
            min=0,
            help=(
                "Accept a field whenever a text holds this many of its taxonomy phrases (name, aliases, "
                "keywords) as whole words, whatever its score; 0 turns it off."
            ),
        ),
    ] = PHRASE_ACCEPT,
    lead_phrase_accept: Annotated[
        int,
        typer.Option(
            "--lead-phrase-accept",
            min=0,
            help=(
                "In a text's lead (title and first 60 words), accept a field with fewer than 5 examples when it "
                "holds this many of the phrases naming it (name, aliases, keywords of two words or more); 0: off."
            ),
        ),
    ] = LEAD_PHRASE_ACCEPT,
    window_phrase_accept: Annotated[
        int,
        typer.Option(
            "--window-phrase-accept",
            min=0,
            help=(
                "In a window of a long text (over 350 words, read in windows of 60), accept any field when the "
                "window holds this many of its taxonomy phrases; 0: off."
            ),
        ),
    ] = WINDOW_PHRASE_ACCEPT,
    written_examples: Annotated[
        bool,
        typer.Option(
            "--written-examples/--no-written-examples",
            help=(
                "Also train on the field guide's written example sentences, each a positive of its field only "
                "(never counted in the metrics)."
            ),
        ),
    ] = True,
    field_guide: Annotated[
        Optional[Path],
        typer.Option(
            "--field-guide", help="Field guide with the written examples (default: the shipped field_guide.yaml)."
        ),
    ] = None,
    taxonomy: TaxonomyOption = None,
    jobs: Annotated[
        Optional[int], typer.Option("--jobs", "-j", help="Processes for cross-validation (default: 1).")
    ] = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    labels_column: LabelsColumn = "labels",
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
) -> None:
    """Train a model, print its cross-validated metrics and write the bundle (with its MODEL.md card)."""
    glob = _globs(glob)
    if not data and base is None:
        raise _fail("give training data, or --base BUNDLE to retrain on a bundle's own documents", 2)
    before = _bundle_identity(output)
    try:
        with contextlib.closing(_ProgressBar("loading", unit=None)) as progress:  # shown before the slow imports
            from classifier.workflows.training import train as train_model  # on first use: keeps start-up light

            trained, metrics = train_model(
                data or [],
                output,
                seed=seed,
                taxonomy=_taxonomy(taxonomy),
                jobs=jobs,
                base=base,
                min_examples=min_examples,
                keyword_examples=keyword_examples.value,
                phrase_accept=phrase_accept,
                lead_phrase_accept=lead_phrase_accept,
                window_phrase_accept=window_phrase_accept,
                written_examples=written_examples,
                field_guide=field_guide,
                columns=_columns(id_column, title_column, text_column, labels_column),
                glob=glob,
                on_warning=lambda message: _report_problem("warning", message),
                on_progress=progress.training_stage,
            )
        _print_training(trained, metrics, output)  # inside: stopped while printing, the bundle is said to be saved
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean exit
        raise typer.Exit(_interrupted_training(output, before)) from None


def _bundle_identity(output: Path) -> tuple | None:
    """What tells the bundle at `output` from the one a save puts there: its model.json's inode and time (None: no
    bundle there). A save builds a new folder, so its model.json is always another file."""
    try:
        info = os.stat(output / "model.json")
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns


def _interrupted_training(output: Path, before: tuple | None) -> int:
    """Say what a Ctrl-C (or SIGTERM) during `train` left at `output`, and give the exit code, 130.

    Before the swap, saving removes its half-built folder and puts the previous bundle back, and the lock goes
    with the run, and the folders above `output` it created with the lock (`output_lock`). After the swap the
    new bundle is whole, and saying "nothing was written" would be false."""
    if _bundle_identity(output) not in (before, None):
        typer.echo(f"interrupted: training had finished; {output} holds the new model in full", err=True)
        return 130
    typer.echo(f"interrupted: training stopped and nothing was written; {output} is as it was", err=True)
    return 130


def _print_training(trained, metrics, output) -> None:
    from classifier.evaluation.metrics import format_report  # on first use: keeps start-up light

    merge = trained.metadata.get("merge")
    if merge:  # its conflicts were said as warnings while reading
        merged = (
            f"{merge['duplicates']} duplicates merged, {merge['conflicts']} with conflicting fields (later source kept)"
        )
        if trained.metadata.get("base"):
            merged = f"{merge['base_documents']} documents from the base, {merge['new_documents']} new: {merged}"
        typer.echo(merged, err=True)
    typer.echo("Cross-validated metrics (5 folds, thresholds tuned on the other folds):")
    typer.echo(format_report(metrics))
    meta = trained.metadata
    if meta["zero_shot_fields"]:
        typer.echo(
            f"\nzero-shot (no examples; suggested from taxonomy keywords alone): {', '.join(meta['zero_shot_fields'])}"
        )
    if meta["low_confidence_fields"]:
        typer.echo(
            f"\nlow confidence (fewer than {meta['params']['min_examples']} examples): "
            + ", ".join(f"{label} ({meta['label_counts'][label]})" for label in meta["low_confidence_fields"])
        )
    typer.echo(f"\nwrote {output}")


@app.command(epilog=_examples("evaluate"))
def evaluate(
    data: Annotated[list[str], typer.Argument(help="Labelled documents to evaluate on.")],
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
    report: Annotated[
        Optional[Path], typer.Option("--report", help="Also write an HTML report with plots to this file.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --report file.")] = False,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    labels_column: LabelsColumn = "labels",
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
    limit: LimitOption = None,
    threshold: ThresholdOption = None,
) -> None:
    """Measure a model on labelled data: micro, macro and samples P/R/F1, P@1, R@3, nDCG@3, per field."""
    glob = _globs(glob)
    from classifier.evaluation.metrics import evaluate_model, format_report  # on first use: keeps start-up light

    loaded = _load(model, taxonomy)
    metrics = evaluate_model(
        loaded,
        data,
        taxonomy=_taxonomy(taxonomy),
        columns=_columns(id_column, title_column, text_column, labels_column),
        glob=glob,
        report=report,
        force=force,
        limit=limit,
        threshold=threshold,
        on_warning=lambda message: _report_problem("warning", message),
    )
    if format is OutputFormat.json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
    else:
        typer.echo(format_report(metrics))
    if report is not None:
        typer.echo(f"wrote {report}", err=True)


@app.command(epilog=_examples("compare"))
def compare(
    model_a: Annotated[Path, typer.Argument(help="Model A, the baseline (e.g. the shipped model).")],
    model_b: Annotated[Path, typer.Argument(help="Model B, the candidate.")],
    data: Annotated[
        list[str],
        typer.Argument(help="Labelled documents; those either model was trained on are left out (exit 4 if all)."),
    ],
    max_drop: Annotated[
        Optional[float],
        typer.Option(
            "--max-drop",
            min=0.0,
            callback=_not_nan,
            help=(
                "Exit 3 if B's F1 is more than this below A's (micro over shared fields, or any shared field "
                "with enough support)."
            ),
        ),
    ] = None,
    min_support: Annotated[
        int, typer.Option("--min-support", min=1, help="Fields with fewer true documents are shown but not gated.")
    ] = 10,
    confidence: Annotated[
        float,
        typer.Option(
            "--confidence",
            min=0.0,
            max=1.0,
            callback=_not_nan,
            help=(
                "A drop fails the gate only if B is below A in at least this share of bootstrap resamples of "
                "the documents; 0 fails on any drop."
            ),
        ),
    ] = 0.95,
    taxonomy: TaxonomyOption = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    labels_column: LabelsColumn = "labels",
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
) -> None:
    """Per-field precision, recall and F1 of two models side by side, with B minus A; a gate for CI with --max-drop."""
    glob = _globs(glob)
    from classifier.evaluation.comparison import compare_models, format_comparison  # on first use: keeps start-up light

    comparison = compare_models(
        model_a,
        model_b,
        data,
        taxonomy=_taxonomy(taxonomy),
        columns=_columns(id_column, title_column, text_column, labels_column),
        glob=glob,
        on_warning=lambda message: _report_problem("warning", message),
    )
    regressions, within_noise = comparison.gate(max_drop, min_support, confidence) if max_drop is not None else ([], [])
    if format is OutputFormat.json:
        typer.echo(
            json.dumps(
                {**comparison.to_dict(), "regressions": regressions, "within_noise": within_noise}, ensure_ascii=False
            )
        )
    else:
        typer.echo(format_comparison(comparison, min_support))
    # The verdict is the gate's result: below the table on stdout, so `compare ... > gate.txt` keeps it; beside JSON,
    # which holds it already, it goes to stderr, leaving stdout one JSON document.
    verdict_to_stderr = format is OutputFormat.json
    for line in regressions:
        typer.echo(f"regression: {line}", err=verdict_to_stderr)
    for line in within_noise:
        typer.echo(f"within noise (not a regression): {line}", err=verdict_to_stderr)
    if max_drop is not None and not regressions:
        typer.echo(
            f"no regression beyond {max_drop} (fields with support >= {min_support}, confidence {confidence})",
            err=verdict_to_stderr,
        )
    if regressions:
        raise typer.Exit(3)


@app.command(epilog=_examples("pick"))
def pick(
    inputs: Annotated[
        list[str], typer.Argument(help="Unlabelled documents: pages, plain texts, directories, globs or tables.")
    ],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many documents to pick.")] = 20,
    strategy: Annotated[
        PickStrategy,
        typer.Option(
            "--strategy", help="margin: closest call to a field's threshold; entropy: mean uncertainty over all fields."
        ),
    ] = PickStrategy.margin,
    max_similarity: Annotated[
        float,
        typer.Option(
            "--max-similarity",
            min=0.0,
            max=1.0,
            callback=_not_nan,
            help="Skip a document more similar (cosine) than this to one already picked.",
        ),
    ] = 0.8,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", help="JSONL file to write (default, or -: stdout); written whole or not at all."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    model: ModelOption = None,
    taxonomy: TaxonomyOption = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
) -> None:
    """Pick the documents to label next: those whose fields the model is least sure of, near-duplicates apart, as a
    JSONL template with the model's current fields in `labels`. Correct them, then `train`."""
    glob = _globs(glob)

    from classifier.corpus.documents import check_not_an_input  # on first use: keeps start-up light
    from classifier.io.outputs import check_file_target, output_lock  # on first use: keeps start-up light
    from classifier.io.tagfiles import STDOUT  # on first use: keeps start-up light

    if output is not None and str(output) == STDOUT:  # as `tag --output -`: standard output, not a file named "-"
        output = None
    if output is not None:
        check_file_target(output)  # a directory is refused as one, not as a file --force would replace
    if output is not None and output.exists() and not force:
        raise _fail(f"{output}: already exists; pass --force to overwrite")
    if output is not None:
        check_not_an_input(output, inputs, glob)  # --force replaces an old pick, never the documents picked from
    # A model or input refused: nothing written, and the lock takes away the folders it made for the output.
    with output_lock(output) if output is not None else contextlib.nullcontext():
        with contextlib.closing(_ProgressBar("loading the model")) as progress:
            loaded = _load(model, taxonomy)
            columns = _columns(id_column, title_column, text_column)
            picked, failed = _pick(loaded, inputs, n, strategy, max_similarity, columns, glob, progress)
        _write_picked(picked, failed, strategy, output)


def _pick(loaded, inputs, n, strategy, max_similarity, columns, glob, progress):
    from classifier.corpus.documents import read_readable_documents  # on first use: keeps start-up light
    from classifier.workflows.picking import pick as pick_documents  # on first use: keeps start-up light

    progress.stage("reading the documents")
    documents, failed = read_readable_documents(inputs, columns, glob, on_problem=_report_problem)
    progress.stage("scoring", len(documents))
    return pick_documents(loaded, documents, n, strategy.value, max_similarity, on_progress=progress.update), failed


def _write_picked(picked, failed: int, strategy, output) -> None:
    from classifier.io.tagfiles import json_line  # on first use: keeps start-up light
    from classifier.io.textio import atomic_write  # on first use: keeps start-up light

    lines = "".join(json_line(row) for row in picked.rows)
    if output is None:
        typer.echo(lines, nl=False)
    else:
        with atomic_write(output) as handle:
            handle.write(lines)
    typer.echo(
        f"picked {len(picked.rows)} of {picked.candidates} documents by {strategy.value}; "
        f"{picked.near_duplicates} near-duplicates skipped, {picked.already_trained} already in the model's training "
        "data" + (f"; wrote {output}" if output else ""),
        err=True,
    )
    if failed:
        raise typer.Exit(1)


@app.command(epilog=_examples("serve"))
def serve(
    model: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--model",
            "-m",
            help=(
                "Model bundle directory, served as a project named after the directory; repeat for several "
                "(default: the shipped model)."
            ),
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; the default answers this machine only.")
    ] = "127.0.0.1",
    allowed_host: Annotated[
        Optional[list[str]],
        typer.Option(
            "--allowed-host",
            help=(
                "A name the server also answers to (repeatable), such as the public name a reverse proxy passes "
                "on as Host; without a port, any port."
            ),
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on.")] = 8000,
    queue: Annotated[
        Optional[list[str]],
        typer.Option(
            "--queue",
            help=(
                "Unlabelled documents to review on the page, in the order `pick` gives (files, directories, "
                "globs or tables)."
            ),
        ),
    ] = None,
    labels: Annotated[
        Optional[Path],
        typer.Option(
            "--labels",
            help="JSONL file that review decisions and `learn` calls are appended to, in the format `train` reads.",
        ),
    ] = None,
    queue_size: Annotated[
        int,
        typer.Option(
            "--queue-size",
            min=1,
            help=(
                "How many documents to order into the queue at start (ordering costs the square of this); the "
                "next start orders the next ones."
            ),
        ),
    ] = 500,
    taxonomy: TaxonomyOption = None,
    id_column: IdColumn = "id",
    title_column: TitleColumn = "title",
    text_column: TextColumn = "text",
    glob: GlobOption = ["*.txt"],  # noqa: B006 - typer's default, never mutated
) -> None:
    """Serve an Annif-compatible REST API (/v1), a page to suggest, explain and review (/), and API docs (/docs).
    The column and glob options say how --queue's tables and folders are read, as `pick` reads them."""
    try:
        from classifier.serve.app import build_app, listening_socket  # on first use: keeps start-up light
        from classifier.serve.app import serve as run_server  # on first use: keeps start-up light
        from classifier.serve.bodies import is_local_name  # on first use: keeps start-up light
    except ImportError as exc:
        if exc.name not in SERVE_EXTRA_MODULES:
            raise
        raise _fail(
            f"classifier serve needs FastAPI and uvicorn ({exc.name} is missing): pip install "
            "'osce-topic-classifier[serve]'"
        ) from None
    from classifier.io.outputs import output_lock  # on first use: keeps start-up light

    host = host.strip("[]")  # an IPv6 address as a URL writes it, [::1]: the socket takes it bare
    # One server writes a labels file: two would each rename their own copy over it, losing the other's rows.
    with output_lock(labels) if labels is not None else contextlib.nullcontext() as held:
        local_only, allowed = is_local_name(host), tuple(allowed_host or ())
        service = build_app(
            model,
            queue,
            labels,
            taxonomy,
            queue_size,
            local_only=local_only,
            allowed_hosts=allowed,
            queue_columns=_columns(id_column, title_column, text_column),
            queue_glob=_globs(glob),
            labels_lock=held,
        )
        _serve_app(service, host, port, run_server, listening_socket)


def _serve_app(service, host: str, port: int, run_server, listening_socket) -> None:
    state = service.state
    if state.queue is not None and state.queue.unreadable and not (state.queue.items or state.queue.labelled):
        for message in state.queue.unreadable:
            typer.echo(f"error: {message}", err=True)
        raise _fail("--queue: none of its inputs could be read, so there is nothing to review")
    address = f"[{host}]" if ":" in host else host
    try:  # before anything is printed: a port in use is said in one line
        sock = listening_socket(host, port)
    except OSError as exc:
        raise _fail(f"cannot listen on {address}:{port}: {exc.strerror or exc}") from None
    port = sock.getsockname()[1]  # the port chosen, where --port 0 asked for any free one
    if state.labels is not None and state.labels.unreadable_note:
        typer.echo(f"warning: {state.labels.unreadable_note}", err=True)
    if state.labels is not None and state.labels.problems:  # train stops at the first: said before any decision
        problems = state.labels.problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        typer.echo(
            f"warning: {problems[0]}{more}; such rows are not taken for decisions, and train refuses the file until "
            "they are fixed",
            err=True,
        )
    typer.echo(
        f"projects: {', '.join(state.projects)}; the page at http://{address}:{port}/, API docs at /docs", err=True
    )
    if state.queue is not None:
        for message in state.queue.unreadable:
            typer.echo(f"error: {message}", err=True)
        progress = state.queue.progress()
        more = f" (and {progress['not_queued']} for a later start)" if progress["not_queued"] else ""
        typer.echo(f"review queue: {progress['left']} documents{more}; decisions go to {state.labels.path}", err=True)
    run_server(service, sock)


@app.command(epilog=_examples("parse"))
def parse(
    pages: Annotated[list[str], typer.Argument(help="Scraped pages or plain-text files; - reads stdin.")],
) -> None:
    """Print each parsed release as JSON: exactly what the model reads, menus removed."""
    from classifier.corpus.documents import read_releases  # on first use: keeps start-up light

    failed = 0
    for origin, release, problem in read_releases(pages):
        if problem:
            _report_problem("error" if release is None else "warning", problem)
        if release is None:
            failed += 1
        else:
            typer.echo(json.dumps({"path": origin, **release.to_dict()}, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@taxonomy_app.callback()
def show_taxonomy(ctx: typer.Context, taxonomy: TaxonomyOption = None) -> None:
    """Show the fields of work as a tree by OSCE dimension."""
    if ctx.invoked_subcommand is not None:
        return
    from classifier.taxonomy.fields import default_taxonomy  # on first use: keeps start-up light

    typer.echo((_taxonomy(taxonomy) or default_taxonomy()).tree())


@taxonomy_app.command("sync", epilog=_examples("taxonomy sync"))
def sync_taxonomy(
    ctx: typer.Context,
    page: Annotated[Path, typer.Argument(help="A freshly scraped OSCE page, with its navigation menus.")],
    write: Annotated[
        bool, typer.Option("--write", help="Apply the changes to taxonomy.yaml, keeping its comments and order.")
    ] = False,
    rename: Annotated[
        Optional[list[str]],
        typer.Option("--rename", help="OLD=NEW: pair a field with a menu entry the similarity missed."),
    ] = None,
    remove: Annotated[
        Optional[list[str]],
        typer.Option(
            "--remove", help="A field gone from the menu to drop with --write, where new fields came at the same time."
        ),
    ] = None,
    taxonomy: TaxonomyOption = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Compare taxonomy.yaml with the page's Fields of work menu: added, removed and probably renamed fields."""
    from classifier.bundle.storage import own_taxonomy_hint  # on first use: keeps start-up light
    from classifier.paths import default_taxonomy_path, in_installed_package  # on first use: keeps start-up light
    from classifier.workflows.taxonomy_sync import format_diff  # on first use: keeps start-up light
    from classifier.workflows.taxonomy_sync import sync_taxonomy as sync  # on first use: keeps start-up light

    # `classifier taxonomy --taxonomy FILE sync PAGE` names it before the command: it was passed over unsaid, and
    # the shipped taxonomy compared (and, with --write, written) in its place.
    taxonomy = taxonomy or ctx.parent.params.get("taxonomy")
    renames = {}
    for pair in rename or []:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise _fail(f"--rename {pair}: expected OLD=NEW", 2)
        renames[old.strip()] = new.strip()
    path = taxonomy or default_taxonomy_path()
    if write and in_installed_package(path):
        raise _fail(
            f"{path}: the taxonomy installed with the package, which the shipped model follows and a reinstall "
            "replaces; copy it, pass --taxonomy COPY --write, and train a model for it into a folder of its own",
            2,
        )
    diff = sync(page, path, renames, write=write, removals=remove or ())
    if format is OutputFormat.json:
        typer.echo(json.dumps(diff.to_dict(), ensure_ascii=False))
    else:
        typer.echo(format_diff(diff, str(page), str(taxonomy) if taxonomy is not None else "taxonomy.yaml"))
    if diff.changed and write:
        # The shipped model follows the shipped taxonomy; a model for another taxonomy goes to a folder of its own.
        retrain = (
            own_taxonomy_hint("models/default", path)
            if taxonomy is not None
            else "classifier train --base models/default --output models/default"
        )
        typer.echo(f"wrote {path}; then retrain: {retrain}", err=True)
        if diff.added:
            typer.echo(
                "new fields are marked in the file: give each a description and keywords before retraining", err=True
            )
        if diff.removed:
            typer.echo("removed fields: data labelled with them is refused by train until relabelled", err=True)
    elif diff.changed:
        typer.echo(f"run again with --write to apply it to {path}", err=True)


def _stopped(signum, frame) -> None:
    """Ctrl-C, and SIGTERM (a scheduler's timeout, `kill`), which stops as Ctrl-C does: whole rows kept."""
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt


# The stop signals received. Python drops a KeyboardInterrupt raised while a __del__ or a callback runs ("Exception
# ignored in ..."): Dask's futures release themselves so, and a Ctrl-C landing there let `tag` run to its end.
# `tag` checks this after each chunk (`_progressed`) and stops as the lost interrupt would have.
_SIGNALLED: list[int] = []


def _unraisable(hook):
    """`sys.unraisablehook` that keeps quiet about the KeyboardInterrupt `_stopped` raised inside a __del__ or a
    callback (Python would print it with a traceback, "Exception ignored in ..."): the signal is in `_SIGNALLED`,
    and `tag` stops for it after its chunk, with its one line. Anything else goes to `hook`."""

    def quiet(unraisable) -> None:
        if _SIGNALLED and isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        hook(unraisable)

    return quiet


def _progressed(update):
    """`update` after a check that no Ctrl-C or SIGTERM was received and lost (`_SIGNALLED`)."""

    def on_progress(done: int) -> None:
        if _SIGNALLED:
            raise KeyboardInterrupt
        update(done)

    return on_progress


class _ClosedStream:
    """Stands for a standard stream the command was started without (`<&-`, `>&-`): reading or writing it is an
    OSError, said in one line like any other, instead of Python's AttributeError or output lost without a word."""

    def __init__(self, name: str):
        self._name = name

    def _closed(self, *args, **kwargs):
        raise OSError(errno.EBADF, f"standard {self._name} is closed")

    write = writelines = read = readline = readlines = _closed
    buffer = property(_closed)

    def flush(self) -> None:  # at exit too: nothing was written, so there is nothing to flush
        pass

    def isatty(self) -> bool:
        return False


def main() -> None:
    signal.signal(signal.SIGTERM, _stopped)
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where it is ignored (`nohup`, `cmd &`)
        signal.signal(signal.SIGINT, _stopped)
    if sys.stdin is None:
        sys.stdin = _ClosedStream("input")
    if sys.stdout is None:
        sys.stdout = _ClosedStream("output")
    if sys.stderr is None:  # `2>&-`: the work is done and its exit code said; its messages have nowhere to go
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (open for the rest of the process)
    try:
        app()
    except OSError as exc:  # a closed stream met before a command runs (`--version >&-`)
        typer.echo(f"error: {exc.strerror or exc}", err=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        # Ctrl-C before a command has anything to keep (while importing or loading the model).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        typer.echo("interrupted", err=True)
        raise SystemExit(130) from None
    finally:
        # The command's outcome and exit code are decided; Python's exit (workers joined, files closed) can take a
        # second. A SIGTERM or Ctrl-C then printed "Exception ignored ... KeyboardInterrupt" and exited 0, or, once
        # Python had put back the default handlers, ended the process by the signal (143) without a word.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
