"""The one base of the errors a user can act on; the command line prints them in one line each, with their exit code."""

from __future__ import annotations


class ClassifierError(Exception):
    """A failure the user can fix: unreadable input, a broken bundle, unusable data, a bad setting.

    The message says what is wrong and names the file (and line or row); one line per problem.
    Every command lets these through and the command line turns them into `error: ...` on stderr
    and `exit_code`, so a library caller sees the same message as a shell user.
    """

    exit_code = 1


class OutputExistsError(ClassifierError, FileExistsError):
    """The output file exists and the command was not told to overwrite it (--force) or continue it (--resume).

    Its message names the Python arguments (force=True); `command_line`, what the command line says instead,
    names its options (--force)."""

    def __init__(self, message: str, command_line: str | None = None):
        super().__init__(message)
        self.command_line = command_line or message


class UsageError(ClassifierError):
    """The command was called wrongly (an option value, a setting from the environment): exit code 2."""

    exit_code = 2


def warn_user(message: str) -> None:
    """A warning of the Python API where its caller gave no `on_warning`: a UserWarning, which a notebook shows and
    `warnings.filterwarnings` silences (train, evaluate_model and compare_models said nothing of the rows they
    left out or cut)."""
    import os  # on first use, as warnings
    import sys  # on first use, as warnings
    import warnings  # on first use: the command line passes its own

    # Shown at the caller's own line: the first frame outside the package, however deep in it the warning was given
    # (a reader that evaluate_model or train calls gives it, not those functions themselves).
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)
