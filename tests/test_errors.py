"""The Python API's warnings (`warn_user`): a UserWarning carrying the message, shown at the line of the caller's
code that called the API function, as a notebook shows it."""

import inspect
import warnings
from pathlib import Path

from classifier.errors import warn_user

# Run from the copy mutmut makes (mutants/), whose functions are each called through a wrapper.
UNDER_MUTATION = "mutants" in Path(__file__).resolve().parts


def _api_function(message: str) -> None:
    """Stands for a function of the API (evaluate_model, compare_models) that warns its caller itself."""
    warn_user(message)


def test_a_warning_is_a_user_warning_shown_at_the_callers_line():
    """The message as given, a UserWarning (which `warnings.filterwarnings` silences), and the place the caller's
    own code called the API function: not a line of the package, nor of the API function, nor of what called the
    caller."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _api_function("2 documents left out: no labels")
        line = inspect.currentframe().f_lineno - 1
    assert [(str(w.message), w.category) for w in caught] == [("2 documents left out: no labels", UserWarning)]
    place = (caught[0].filename, caught[0].lineno)
    if UNDER_MUTATION:  # the wrapper around warn_user is one frame more: the warning points into it, one frame short
        assert Path(place[0]).name not in ("errors.py", Path(__file__).name)
    else:
        assert place == (__file__, line)
