"""Patterns from untrusted text (users, AI assistants, ignore files), matched in time linear in the subject.

Python's ``re`` backtracks: ``a*a*a*a*a*a*a*a*b`` against a long name runs for hours, and no signal, cancellation or
time budget can stop a match that has started (docs/security.md). So:

- regular expressions (``isg/query ... regex``, ``isg/sql ... REGEXP``) run on RE2 (the ``google-re2`` wheel), whose
  matching is linear in the subject whatever the pattern; what RE2 cannot do in linear time (backreferences,
  lookaround) is refused with a message that says so. Patterns and subjects are bounded in length, and the compiled
  program in memory (``max_mem``);
- globs (``isg/search``, ``glob`` in the query language) are translated by ``fnmatch.translate``, whose output has no
  nested repeats (each ``*`` segment is an atomic group), and kept in a small cache of our own: ``fnmatch``'s
  own cache keeps up to 32,768 compiled patterns, which a client sending distinct patterns fills;
- ``.gitignore`` files go through pathspec's RE2 backend (workspace.py).
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

try:
    import re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - a platform without the wheel
    re2 = None

MAX_REGEX_LENGTH = 300
MAX_GLOB_LENGTH = 300
MAX_SUBJECT = 4000  # characters of a value a regex looks at
CACHE_SIZE = 64
RE2_MAX_MEM = 8 << 20  # bytes for one compiled program and its DFA cache


class UnsafePattern(ValueError):
    """A pattern that was refused; the message says why, for the user."""


class _Cache:
    """A small LRU of compiled patterns (thread-safe: the server matches on the loop and in SQL threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make: Callable):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


_REGEXES = _Cache(CACHE_SIZE)
_GLOBS = _Cache(CACHE_SIZE)


def available() -> bool:
    return re2 is not None


def _options(ignore_case: bool):
    options = re2.Options()
    options.log_errors = False
    options.max_mem = RE2_MAX_MEM
    options.case_sensitive = not ignore_case
    return options


_EXPLAIN = (
    ("invalid escape sequence: \\1", "backreferences are not allowed"),
    ("invalid escape sequence: \\", "invalid escape sequence"),
    ("invalid perl operator: (?=", "lookahead (?=...) is not allowed"),
    ("invalid perl operator: (?!", "lookahead (?!...) is not allowed"),
    ("invalid perl operator: (?<", "lookbehind (?<=...) is not allowed"),
    ("pattern too large", "pattern too large (its compiled form exceeds the memory allowed)"),
)


class Regex:
    """A compiled regular expression: ``search(text)`` looks at the first ``MAX_SUBJECT`` characters."""

    __slots__ = ("pattern", "_compiled")

    def __init__(self, pattern: str, compiled) -> None:
        self.pattern = pattern
        self._compiled = compiled

    def search(self, text: str):
        return self._compiled.search(text[:MAX_SUBJECT])


def regex(pattern: str, ignore_case: bool = False) -> Regex:
    """Compiles an untrusted regular expression for linear-time matching, or raises ``UnsafePattern``."""
    if not isinstance(pattern, str):
        raise UnsafePattern("a regular expression is a string")
    if len(pattern) > MAX_REGEX_LENGTH:
        raise UnsafePattern(f"regular expression longer than {MAX_REGEX_LENGTH} characters")
    if re2 is None:
        raise UnsafePattern("regular expressions are unavailable: the google-re2 package is not installed")
    return _REGEXES.get((pattern, ignore_case), lambda: Regex(pattern, _compile_re2(pattern, ignore_case)))


def _compile_re2(pattern: str, ignore_case: bool):
    try:
        return re2.compile(pattern, _options(ignore_case))
    except re2.error as error:
        text = error.args[0] if error.args else str(error)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        for needle, friendly in _EXPLAIN:
            if needle in text:
                raise UnsafePattern(f"{friendly}: regular expressions run on RE2, in linear time") from None
        raise UnsafePattern(f"invalid regular expression: {text}") from None
    except (TypeError, ValueError, UnicodeError) as error:  # e.g. lone surrogates
        raise UnsafePattern(f"invalid regular expression: {error}") from None


def glob(pattern: str, ignore_case: bool = False) -> Callable[[str], bool]:
    """A matcher for a glob (``*``, ``?``, ``[...]``; ``*`` crosses ``/`` and ``::``), or ``UnsafePattern``."""
    if not isinstance(pattern, str):
        raise UnsafePattern("a glob pattern is a string")
    if len(pattern) > MAX_GLOB_LENGTH:
        raise UnsafePattern(f"glob pattern longer than {MAX_GLOB_LENGTH} characters")

    def make():
        # fnmatch.translate (Python 3.11+) makes each `*` segment an atomic group: no backtracking across stars
        compiled = re.compile(fnmatch.translate(pattern.lower() if ignore_case else pattern))
        if ignore_case:
            return lambda value: compiled.match(value.lower()) is not None
        return lambda value: compiled.match(value) is not None

    return _GLOBS.get((pattern, ignore_case), make)


def cache_sizes() -> tuple[int, int]:
    """How many compiled regexes and globs are kept (tests check the bound)."""
    return len(_REGEXES), len(_GLOBS)
