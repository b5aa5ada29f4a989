"""The review queue: documents in the order `pick` chooses them, and the labelled-data file decisions go to.

Each decision becomes one JSONL row in the format `classifier train` reads (`id`, `title`, `text`,
`labels`). The file is never appended to in place: the new file (old content plus the new rows) is
written beside it, fsynced and renamed over it, then the directory is fsynced. So whatever moment the
server is killed at, the file holds whole rows only, and every decision the page was told is saved is
on disk. Copying the old content is cheap at the sizes a person labels (a few MB after thousands of
decisions) next to the time a person takes per decision.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import json
import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from classifier.corpus.datasets import document_key, text_key
from classifier.errors import ClassifierError, UsageError
from classifier.io.formats import table_format
from classifier.io.jsonl import first_repeated, repeated_key
from classifier.io.outputs import OutputError
from classifier.io.tagfiles import json_line
from classifier.io.textio import atomic_write, fsync_directory, one_line
from classifier.taxonomy.fields import Taxonomy, default_taxonomy

log = logging.getLogger("classifier.serve")


class DecisionError(ValueError):
    """A decision the queue cannot take; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# A file that starts with one of these is read whole as UTF-16 or UTF-32 (train reads it so): a row appended to it as
# UTF-8 would be one line of nonsense there, and the decision lost.
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class LabelsFile:
    """A JSONL file of labelled documents, read once at start and extended one durable rename at a time."""

    def __init__(self, path: str | Path, lock=None, taxonomy: Taxonomy | None = None):
        """`lock`, the HeldLock of the run writing the file (io.outputs.output_lock): checked before each write;
        `taxonomy`, the fields its rows name (default: the shipped taxonomy)."""
        self.path = Path(path)
        self.lock = lock
        self.taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
        self._clear()
        self._lock = threading.Lock()
        if self.path.is_dir():
            raise UsageError(f"{self.path}: is a directory; --labels names the JSONL file decisions go to")
        if self.path.exists() and not self.path.is_file():
            # Reading a FIFO waits for a writer, and a device such as /dev/zero never ends: refused before either.
            raise UsageError(
                f"{self.path}: is not a regular file (a device, FIFO or socket); --labels names the JSONL file "
                "decisions go to"
            )
        kind = table_format(self.path)
        if kind != "jsonl":  # train reads a .csv as a CSV table, any other file as one text: never these rows
            read_as = f"a {kind.upper()} table" if kind else "one text document"
            raise UsageError(
                f"{self.path}: --labels names a JSONL file (.jsonl), the rows train reads; train would read this file "
                f"as {read_as}, and the decisions added to it would make it unreadable"
            )
        if self.path.exists():
            try:
                self._read()
            except OSError as exc:
                raise ClassifierError(f"{self.path}: cannot read the labels file ({exc.strerror})") from None
            if self.unreadable_lines and not self.rows:
                raise UsageError(
                    f"{self.path}: none of its {self.unreadable_lines} lines is a JSON row: it is no labels file "
                    "(a table saved under a .jsonl name?); name a new --labels file, or convert it to JSON lines"
                )

    def _clear(self) -> None:
        """What is read of the file (`_read`), as for a file without rows."""
        self.ids: set[str] = set()
        self.keys: set[str] = set()  # each labelled document's title and text as datasets.document_key reads them
        self._problems: list[str] = []  # rows `train` would refuse (no text, unknown fields): said at start
        self._emptied: dict[str, str] = {}  # documents whose last row gives an empty list of labels: that row
        # Each document's fields as last written (a correction replaces them), by its title and text as `train` merges
        # rows (an id given to another text, or its text under another id, is another document or the same one).
        self.decided: dict[str, list[str]] = {}
        self.counts: Counter[str] = Counter()
        self.rows = 0
        self.unreadable_lines = 0
        self.first_unreadable: int | None = None  # the number of the first of them, said at start
        # The file as last read or written here (`_signature`), None where there is none.
        self._seen: tuple | None = None

    def _read(self) -> None:
        with open(self.path, "rb") as handle:
            self._seen = _signature(os.fstat(handle.fileno()))  # as opened: a change made while it is read shows later
            if handle.peek(4)[:4].startswith(_WIDE_BOMS):
                raise ClassifierError(
                    f"{self.path}: saved as UTF-16 or UTF-32 (it starts with their byte-order mark); decisions are "
                    "added as UTF-8 lines, which no reader would find in it: save it as UTF-8, or name a new --labels "
                    "file"
                )
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line, object_pairs_hook=_Row.of_pairs)
                except (ValueError, RecursionError):  # RecursionError: a line nested thousands deep
                    self._unreadable(number)
                    continue
                if isinstance(row, _Row) and row.repeated is not None:  # train refuses it: json keeps the last value
                    self.rows += 1
                    self._problems.append(f"{self.path}:{number}: {repeated_key(row.repeated)}")
                elif isinstance(row, dict):
                    self._count(row, f"{self.path}:{number}")
                else:  # a JSON value that is no row: train refuses it as it refuses a broken line
                    self._unreadable(number)

    def _unreadable(self, number: int) -> None:
        self.unreadable_lines += 1
        self.first_unreadable = self.first_unreadable or number

    def _count(self, row: dict, origin: str) -> None:
        """Count a row as `train` reads it (corpus.documents.to_document: its page parsed, invisible characters out;
        its labels a list, a JSON list or names joined by `;`, each a field's name, alias, notation or URI): a later
        row for the same title and text replaces its fields in the counts, as `train` keeps it. A row without labels
        is a document still to label; one `train` would refuse (no text, labels that name no field) is a problem,
        said at start, never taken for labelled (an id alone would hide every later document given that id), though
        the fields of one without a text are counted, by its id, as they were written."""
        from classifier.corpus.documents import Record, to_document  # on first use: keeps start-up light

        self.rows += 1
        if row.get("id") not in (None, ""):
            self.ids.add(str(row["id"]))
        doc = to_document(Record(id=str(row.get("id") or origin), origin=origin, row=row))
        if doc.error or doc.labels_error:
            self._problems.append(doc.error or doc.labels_error)
            if doc.error and row.get("id") not in (None, "") and isinstance(row.get("labels"), list):
                self._decided("id\0" + str(row["id"]), [str(label) for label in row["labels"]])  # no text's key has NUL
            return
        if doc.labels is not None and not doc.labels:  # [] or "": train refuses it where it is the document's last row
            key = document_key(doc)
            self._emptied[key] = f"{origin}: an empty list of labels (leave the key out for a document to label)"
            return
        if not doc.labels:
            return
        fields = [self.taxonomy.resolve(label) for label in doc.labels]
        if None in fields:
            unknown = doc.labels[fields.index(None)]
            self._problems.append(f"{origin}: unknown field {one_line(unknown)[:100]!r} (see classifier taxonomy)")
            return
        key = document_key(doc)
        self.keys.add(key)
        self._emptied.pop(key, None)  # a later row with fields: train keeps it
        self._decided(key, [label for label in self.taxonomy.labels if label in fields])

    @property
    def unreadable_note(self) -> str | None:
        """The lines that are no JSON row, named by the first as train names it when it refuses the file for them."""
        more = self.unreadable_lines - 1
        if more < 0:
            return None
        where = f"{self.path}:{self.first_unreadable}: not a JSON row"
        if not more:
            return f"{where}; it is kept but not counted, and train refuses the file until it is fixed"
        return (
            f"{where} (and {more} more); they are kept but not counted, and train refuses the file until they are fixed"
        )

    @property
    def problems(self) -> list[str]:
        """Rows `train` would refuse (no text, unknown fields; an empty list of labels in a document's last row)."""
        return self._problems + list(self._emptied.values())

    def _decided(self, key: str, fields: list[str]) -> None:
        self.counts.subtract(self.decided.get(key, []))
        self.decided[key] = fields
        self.counts.update(fields)

    def _check_unchanged(self) -> None:
        """Before a write: the file is as this server last read or wrote it. Removed, or changed by another program
        (emptied, a backup put back, rows added or taken out by hand), it is said in the log and its counts start
        again, from the file as it is now, so that the progress shown is the file's; a file now saved as UTF-16 is
        OutputError, nothing written."""
        now = _signature(_stat(self.path))
        if now == self._seen:
            return
        if now is None and self.rows:
            log.warning(
                "%s: removed while the server wrote to it; its %d rows are gone, and it is made again with the new "
                "ones",
                self.path,
                self.rows,
            )
        elif now is not None:
            log.warning(
                "%s: changed by another program while the server wrote to it; its rows are read again", self.path
            )
        # Read beside the counts in use, then put in their place at once: the queue, which reads them without a lock,
        # never sees them half-read (no document labelled yet, during the seconds a large file takes).
        fresh = object.__new__(LabelsFile)
        fresh.path, fresh.taxonomy = self.path, self.taxonomy
        fresh._clear()
        if now is not None:
            try:
                fresh._read()
            except (ClassifierError, OSError) as exc:
                self._seen = None  # looked at again before the next write, which is refused until it can be read
                if isinstance(exc, OSError):
                    raise
                raise OutputError(str(exc)) from None
        self.__dict__.update({name: value for name, value in vars(fresh).items() if name not in ("path", "taxonomy")})

    def refresh(self) -> None:
        """The counts read again if the file was removed or changed by another program (`_check_unchanged`)."""
        with self._lock:
            self._check_unchanged()

    def holds(self, doc) -> bool:
        """Whether the file labels a document (anything with `id`, `title` and `text`): by its title and text, as
        `train` merges rows, so that a document given by another path than before (`./Q` for `Q`) is known. Ids are
        reused (a table's row numbers, a second batch's "1"): a document with another text under a labelled id is
        another document, and must be offered. A queue item's key is made once (`QueueItem.key`): the queue asks on
        every request."""
        key = doc.key if isinstance(doc, QueueItem) else row_key(doc.title, doc.text)
        return key in self.keys

    def append(self, rows: list[dict]) -> None:
        """Add whole rows durably: when this returns, they are on disk; if it raises, the file is unchanged. An id or
        origin from a file name that is not UTF-8 keeps its odd bytes as JSON escapes, as `tag` writes them."""
        data = "".join(json_line(row) for row in rows).encode("utf-8")
        with self._lock:
            if self.lock is not None:
                self.lock.check()  # a lock file removed meanwhile: taken again, or nothing written
            self._check_unchanged()
            _replace_with_appended(self.path, data)
            self._seen = _signature(_stat(self.path))
            for row in rows:
                self._count(row, f"{self.path} (a row this server wrote)")


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _signature(info: os.stat_result | None) -> tuple | None:
    """What tells one state of a file from another: which file it is, its size and when it was last written."""
    return None if info is None else (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class _Row(dict):
    """A JSON object of a labels-file line; `repeated`, the first key it gives twice (None if none), as the JSONL
    reader `train` uses finds it."""

    repeated: str | None = None

    @classmethod
    def of_pairs(cls, pairs: list) -> _Row:
        row = cls(pairs)
        if len(row) != len(pairs):
            row.repeated = first_repeated(pairs)
        return row


def _replace_with_appended(path: Path, data: bytes) -> None:
    """The labels file with `data` appended, written beside it and renamed over it (never a half line),
    then the folder synced: the rename is durable only once the directory entry is."""
    with atomic_write(path, "wb") as out:
        try:
            with open(path, "rb") as old:
                last = b"\n"
                while chunk := old.read(1 << 20):
                    out.write(chunk)
                    last = chunk[-1:]
                if last != b"\n":  # a file edited by hand may lack its final newline: keep its last row whole
                    out.write(b"\n")
        except FileNotFoundError:
            pass
        out.write(data)
    fsync_directory(path.parent)


@dataclass
class QueueItem:
    id: str
    title: str
    text: str
    origin: str
    suggested: list[str]
    uncertainty: float
    # The document its row is read back as (`row_key`), if found already (ReviewQueue.from_inputs finds it for every
    # input): made once, as the queue asks on every request.
    key: str = field(default="", repr=False)
    # Which text the id named when the editor was shown it: a decision that gives it is refused where the id now names
    # another text (a restart with other inputs, a batch reusing ids), not written for the wrong document.
    digest: str = field(init=False, repr=False)

    def __post_init__(self):
        self.key = self.key or row_key(self.title, self.text)
        self.digest = hashlib.sha256(self.key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# Ordering as `pick` does costs time in proportion to the square of the documents ordered (each is
# compared with every one kept before it): about 25 s for 1,000 documents, 6 minutes for 4,000 on
# 2 cores. A session labels far fewer, so the queue orders this many at start; the next start orders
# the next ones, leaving out what the labels file holds.
DEFAULT_QUEUE_SIZE = 500


@dataclass
class ReviewQueue:
    """Documents to label, least sure first and near-duplicates apart (as `classifier pick` orders them),
    leaving out those already in the labels file. A skipped document goes to the end of the queue for
    this run of the server; it is not written, so it comes back on the next."""

    items: list[QueueItem]
    labels: LabelsFile
    taxonomy: Taxonomy
    near_duplicates: int = 0
    already_trained: int = 0
    unreadable: list[str] = field(default_factory=list)  # one line per input that could not be read
    not_queued: int = 0  # documents left for a later start: neither labelled nor ordered into this queue
    labelled_before: int = 0  # documents of the inputs the labels file held at start
    skipped: list[str] = field(default_factory=list)
    labelled: list[QueueItem] = field(default_factory=list)  # the inputs' documents labelled before this start
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        self._by_id = {item.id: item for item in self.items}
        self._labelled_by_id = {item.id: item for item in self.labelled}

    @classmethod
    def from_inputs(
        cls,
        model,
        inputs: list[str],
        labels: LabelsFile,
        taxonomy: Taxonomy,
        strategy: str = "margin",
        size: int = DEFAULT_QUEUE_SIZE,
        columns=None,
        glob: str | None = None,
    ) -> ReviewQueue:
        """The first `size` documents `pick` would choose among those of `inputs` not in the labels file; a table's
        `columns` (corpus.documents.Columns) and a folder's `glob` as `pick` reads them (default: theirs)."""

        from classifier.corpus.documents import (  # on first use: light start-up
            DEFAULT_GLOB,
            Columns,
            read_documents,
            recorded_document,
            recorded_paths,
        )
        from classifier.workflows.picking import pick  # on first use: keeps start-up light

        # A file's documents are known by its path as a bundle records it: the same ids however the path was typed
        # (`pages`, `$PWD/pages`), relative to the working folder (`../data/pages` outside it), so the answers do not
        # name the server's folders.
        recorded = recorded_paths(inputs, glob or DEFAULT_GLOB, relative_outside=True)
        read, unreadable = [], []
        for doc in read_documents(inputs, columns or Columns(), glob or DEFAULT_GLOB):
            if doc.error:
                unreadable.append(doc.error)
            else:
                read.append(recorded_document(doc, recorded))
        documents, labelled, keys = [], [], {}
        for doc in _apart(read):
            back = _read_back(doc.title, doc.text)  # each input parsed once more, here only
            if back.error:  # its decision would be a row train refuses, and never held
                unreadable.append(
                    f"{doc.origin}: its text reads as no document once written as a row (a content type "
                    "alone?): left out"
                )
                continue
            keys[doc.id] = document_key(back)
            if keys[doc.id] in labels.keys:  # LabelsFile.holds, with the key found
                labelled.append(QueueItem(doc.id, doc.title, doc.text, doc.origin, [], 0.0, keys[doc.id]))
            else:
                documents.append(doc)
        picked = pick(model, documents, n=max(min(size, len(documents)), 1), strategy=strategy)
        items = [
            QueueItem(
                str(row["id"]),
                row["title"],
                row["text"],
                row["origin"],
                list(row["labels"]),
                row["uncertainty"],
                keys[str(row["id"])],
            )
            for row in picked.rows
        ]
        not_queued = picked.candidates - len(items) - picked.near_duplicates
        return cls(
            items,
            labels,
            taxonomy,
            picked.near_duplicates,
            picked.already_trained,
            unreadable,
            not_queued,
            len(labelled),
            labelled=labelled,
        )

    def pending(self) -> list[QueueItem]:
        """Undecided documents in queue order, those skipped in this run last."""
        skipped = set(self.skipped)
        waiting = [item for item in self.items if not self.labels.holds(item)]
        return [item for item in waiting if item.id not in skipped] + [
            self._by_id[doc_id] for doc_id in self.skipped if not self.labels.holds(self._by_id[doc_id])
        ]

    def progress(self) -> dict:
        pending = self.pending()
        done = sum(1 for item in self.items if self.labels.holds(item))
        skipped = set(self.skipped)
        # The labels file removed or emptied while serving takes the rows of documents labelled before this start.
        gone = sum(1 for item in self.labelled if not self.labels.holds(item))
        return {
            "labelled": self.labelled_before - gone + done,
            "left": len(pending),
            "skipped": sum(1 for item in pending if item.id in skipped),
            "queue": len(self.items),
            "not_queued": self.not_queued,
            "near_duplicates_left_out": self.near_duplicates,
            "already_trained_left_out": self.already_trained,
            "labels_file": self.labels.path.name,  # not the server's folders: anyone who reaches it reads this
            "labels_file_rows": self.labels.rows,
            "field_counts": {label: self.labels.counts[label] for label in self.taxonomy.labels},
        }

    def next(self) -> QueueItem | None:
        pending = self.pending()
        return pending[0] if pending else None

    def find(self, doc_id: str) -> QueueItem | None:
        """The queue's document with this id, or one of its inputs labelled before this start."""
        return self._by_id.get(doc_id) or self._labelled_by_id.get(doc_id)

    def decide(
        self,
        doc_id: str,
        labels: list[str] | None,
        skip: bool = False,
        correct: bool = False,
        suggested: list[str] | None = None,
        digest: str | None = None,
    ) -> None:
        """Write the document with `labels` (field names, aliases resolved) to the labels file, or skip it. A
        document labelled already (in this run, or before it from the same inputs) is refused unless `correct`:
        its new row then follows the old one, which `train` and the counts replace with it. `suggested`: the
        fields the editor was shown, where another model than the queue's suggested them. `digest`, the document's
        as shown (QueueItem.digest), if given: refused (412) where the id now names another text. A correction of a
        document nobody labelled is refused (412) too: its id names another document than the one corrected."""
        with self._lock:
            self.labels.refresh()  # whether it holds the document is asked of the file as it is now
            item = self.find(doc_id)
            if item is None:
                raise DecisionError(f"no document {doc_id[:200]!r} in the queue or labelled from its inputs", 404)
            if digest is not None and digest != item.digest:
                raise DecisionError(
                    f"document {doc_id[:200]!r} is not the text you were shown: the server now reads another text "
                    "under that id (started again with other inputs?); nothing was saved: reload the queue",
                    412,
                )
            held = self.labels.holds(item)
            if correct and not held and not skip:
                raise DecisionError(
                    f"document {doc_id[:200]!r} is not labelled: nothing to correct (the server now reads another "
                    'text under that id?); nothing was saved: send it without "correct" to label it',
                    412,
                )
            if held and not correct:
                raise DecisionError(
                    f"document {doc_id[:200]!r} is already labelled in {self.labels.path.name}; send "
                    '"correct": true to replace its fields',
                    409,
                )
            if skip and correct:
                raise DecisionError("a correction gives 'labels'; it cannot skip")
            if skip:
                if doc_id in self.skipped:
                    self.skipped.remove(doc_id)
                if doc_id in self._by_id:  # one labelled before this start whose row is gone is in no queue to skip
                    self.skipped.append(doc_id)
                return
            fields = resolve_labels(labels, self.taxonomy)
            self.labels.append(
                [
                    {
                        "id": item.id,
                        "title": item.title,
                        "text": item.text,
                        "labels": fields,
                        "origin": item.origin,
                        "suggested": item.suggested if suggested is None else suggested,
                        "decided_at": datetime.now(timezone.utc)
                        .replace(microsecond=0)
                        .isoformat()
                        .replace("+00:00", "Z"),
                        **({"corrects": True} if held else {}),
                    }
                ]
            )
            if doc_id in self.skipped:
                self.skipped.remove(doc_id)


def _read_back(title: str, text: str):
    """The document a labels-file row with this title and text is read back as, by `train` and by LabelsFile: the text
    parsed again as a page under its title, which can leave out a line (a `Source:` line, a content type) the first
    reading kept in the body, or leave nothing ("Statement / Press release": a content type alone, an error)."""
    from classifier.corpus.documents import Record, to_document  # on first use: keeps start-up light

    return to_document(Record(id="", origin="", row={"title": title, "text": text}))


def row_error(title: str, text: str) -> str | None:
    """Why a labels-file row with this title and text would be refused when read back (`_read_back`), or None."""
    return _read_back(title, text).error


def row_key(title: str, text: str) -> str:
    """The identity (datasets.document_key) of the document a labels-file row with this title and text is read back
    as (`_read_back`): a queue document and the row written for it are then one document."""
    doc = _read_back(title, text)
    return text_key(title, text) if doc.error else document_key(doc)


def _apart(documents: list) -> list:
    """The documents, each with an id no other has: every document whose id another shares (two inputs with one id)
    becomes `ID (ORIGIN)`, whatever the order of the inputs, so that an id means one document from start to start."""
    shared = Counter(doc.id for doc in documents)
    out, seen = [], set()
    for doc in documents:
        doc_id = f"{doc.id} ({doc.origin})" if shared[doc.id] > 1 else doc.id
        if doc_id in seen:  # one file given twice: its documents again, numbered
            doc_id = next(f"{doc_id} #{n}" for n in itertools.count(2) if f"{doc_id} #{n}" not in seen)
        seen.add(doc_id)
        out.append(doc if doc_id == doc.id else replace(doc, id=doc_id))
    return out


def shown_origin(origin: str) -> str:
    """Where a document came from as the API shows it: its file's name and place in it ("queue.jsonl:8"), not the
    server's folders, which anyone who reaches the server would read; the labels file keeps the whole origin."""
    return origin.rsplit("/", 1)[-1]


def resolve_labels(labels, taxonomy: Taxonomy) -> list[str]:
    """Field names for a list of fields named by label, alias, notation or URI (`Taxonomy.resolve`), in taxonomy order;
    at least one, all known."""
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise DecisionError("'labels' must be a list of field names")
    resolved, unknown = [], []
    for label in labels:
        name = taxonomy.resolve(label)
        (resolved if name else unknown).append(name or label)
    if unknown:
        raise DecisionError(f"unknown fields: {', '.join(repr(u[:100]) for u in unknown[:10])} (see GET /v1/taxonomy)")
    if not resolved:
        raise DecisionError("give at least one field (every OSCE item has one), or skip the document")
    return [label for label in taxonomy.labels if label in set(resolved)]
