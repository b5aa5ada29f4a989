"""The Python API's warnings (`warn_user`): a UserWarning carrying the message, shown at the line of the caller's
code that called the API function, as a notebook shows it, however deep in the package the warning was given."""

import inspect
import json
import warnings
from pathlib import Path

from classifier.errors import warn_user

from conftest import ROOT

# Run from the copy mutmut makes (mutants/), whose functions are each called through a wrapper of mutmut's own, a
# frame outside the package: there the warning points into that wrapper, one frame short of the caller's line.
UNDER_MUTATION = "mutants" in Path(__file__).resolve().parts


def shown_at(caught, place: tuple[str, int]) -> bool:
    """Whether a warning is shown at `place` (file, line); under mutation, at least not in the package itself."""
    if UNDER_MUTATION:
        return "classifier" not in Path(caught.filename).parts
    return (caught.filename, caught.lineno) == place


def test_a_warning_is_a_user_warning_shown_at_the_line_that_gave_it_from_outside_the_package():
    """The message as given, a UserWarning (which `warnings.filterwarnings` silences), at the line of the code
    outside the package that called `warn_user`: not a line of errors.py, nor of what called that code."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_user("2 documents left out: no labels")
        line = inspect.currentframe().f_lineno - 1
    assert [(str(w.message), w.category) for w in caught] == [("2 documents left out: no labels", UserWarning)]
    assert shown_at(caught[0], (__file__, line))


def test_a_warning_a_reader_deep_in_the_package_gives_is_shown_at_the_callers_line(tmp_path):
    """`evaluate_model` on a file giving one document twice: the reader it calls says so, and the warning pointed at
    a line of classifier/evaluation/metrics.py (a fixed stack level fits only warnings the API function gives
    itself). Both warnings of the call now point at the caller's line."""
    from classifier import load_model
    from classifier.evaluation.metrics import evaluate_model

    pages = (ROOT / "training" / "data" / "whole_pages.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    rows = [json.loads(line) for line in pages]
    unlabelled = {key: value for key, value in rows[1].items() if key != "labels"}
    data = tmp_path / "twice.jsonl"
    lines = [json.dumps(row) + "\n" for row in [rows[0], unlabelled, rows[2], rows[0]]]
    data.write_text("".join(lines), encoding="utf-8")
    model = load_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_model(model, [data])
        line = inspect.currentframe().f_lineno - 1
    said = [str(w.message) for w in caught]
    assert any(message.startswith("1 row repeats a document given before") for message in said), said
    assert any("have no fields" in message or "has no fields" in message for message in said), said
    assert len(caught) == 2 and all(shown_at(w, (__file__, line)) for w in caught)
