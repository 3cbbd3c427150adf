"""A user's mistake is one line, ``error: <file>: <record>: <what>``, and exit status 2, not a traceback.

Bad inputs (a missing file, a directory where a file belongs, a malformed record, a value out of range)
surface as the built-in exceptions below, raised with messages that already name the file and record.
Anything else is a bug and keeps its traceback. ``--debug`` or ``SEQKIT_DEBUG=1`` shows the traceback of
a user error too.
"""

from __future__ import annotations

import os
import sys

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "SEQKIT_DEBUG"
EXIT_USER_ERROR = 2


class InputError(ValueError):
    """Bad input, with the file and record it is about: ``InputError(path, "record 12", "no sequence")``."""

    def __init__(self, path: object, record: object | None, what: str) -> None:
        self.path, self.record, self.what = path, record, what
        parts = [str(path)] + ([str(record)] if record is not None else []) + [what]
        super().__init__(": ".join(parts))


def is_user_error(err: BaseException) -> bool:
    """True for the exception types bad input raises (``ValueError`` covers pandas' empty/parse
    errors and ``UnicodeDecodeError``)."""
    return isinstance(err, (ValueError, OSError)) and not isinstance(err, ConnectionError)


def root_cause(err: BaseException) -> BaseException:
    """The user's error inside jsonargparse's wrappers: a data module whose constructor rejects a file is
    reported by the parser as "Does not validate against any of the Union subtypes" around the real one."""
    while _is_wrapper(err) and (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__
    return err


def _is_wrapper(err: BaseException) -> bool:
    text = str(err)
    return (type(err).__module__.startswith("jsonargparse") or "Does not validate against any of the Union" in text
            or "Problem with given class_path" in text)


def describe(err: BaseException) -> str:
    """The one-line message for a user error: OS errors as ``<file>: <what>``, others as raised."""
    err = root_cause(err)
    if isinstance(err, OSError) and err.filename is not None:
        what = {IsADirectoryError: "is a directory, expected a file",
                NotADirectoryError: "is not a directory",
                FileNotFoundError: "no such file or directory",
                PermissionError: "permission denied"}.get(type(err), err.strerror or str(err))
        return f"{err.filename}: {what}"
    text = str(err).strip() or type(err).__name__
    return " ".join(text.splitlines()) if len(text.splitlines()) <= 3 else text


def debug_requested(argv: list[str]) -> bool:
    """Whether tracebacks were asked for; removes ``--debug`` from ``argv`` in place."""
    wanted = DEBUG_FLAG in argv
    while DEBUG_FLAG in argv:
        argv.remove(DEBUG_FLAG)
    return wanted or os.environ.get(DEBUG_VARIABLE, "").lower() not in ("", "0", "false", "no")


def report(err: BaseException, prog: str) -> int:
    """Print the error line to stderr and return the exit status for it."""
    print(f"error: {describe(err)}", file=sys.stderr)
    print(f"({prog}: run with {DEBUG_FLAG} or {DEBUG_VARIABLE}=1 for the traceback)", file=sys.stderr)
    return EXIT_USER_ERROR
