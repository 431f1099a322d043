"""Initialization options (docs/protocol.md): a typed object with defaults, read from camelCase JSON.

Unknown keys and values of the wrong type never stop the server: each is reported in a warning and replaced by its
default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..workspace import DEFAULT_EXCLUDE, WorkspaceConfig

MAX_BLAST_RADIUS_DEPTH = 10
DOCUMENTED_EXCLUDE = ("target/", "node_modules/", ".git/")
# Always left out, whatever `exclude` says: version control, caches, virtual environments, our own database.
ALWAYS_EXCLUDE = tuple(p for p in DEFAULT_EXCLUDE if p not in DOCUMENTED_EXCLUDE)


@dataclass(kw_only=True)
class LensOptions:
    implementations: bool = True
    callers: bool = True
    blast_radius: bool = True


@dataclass(kw_only=True)
class InitOptions:
    database_path: str | None = None
    exclude: list[str] = field(default_factory=lambda: list(DOCUMENTED_EXCLUDE))
    use_gitignore: bool = True
    lenses: LensOptions = field(default_factory=LensOptions)
    blast_radius_depth: int = 3
    include_heuristic: bool = True
    max_file_bytes: int = 2_000_000

    def workspace_config(self) -> WorkspaceConfig:
        """What to index, for the engine."""
        exclude = list(self.exclude) + [p for p in ALWAYS_EXCLUDE if p not in self.exclude]
        return WorkspaceConfig(exclude=exclude, use_gitignore=self.use_gitignore, max_file_bytes=self.max_file_bytes)

    def indexing_key(self) -> tuple:
        """The options whose change requires indexing again."""
        return (self.database_path, tuple(self.exclude), self.use_gitignore, self.max_file_bytes)


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def parse_options(raw: Any) -> tuple[InitOptions, list[str]]:
    """Reads initialization options; returns them with one warning per key that was unknown or of the wrong type."""
    options = InitOptions()
    warnings: list[str] = []
    if raw is None:
        return options, warnings
    if not isinstance(raw, dict):
        return options, [f"initializationOptions should be an object, got {_describe(raw)}; using the defaults"]
    raw = _nest_dotted(raw)
    _read_into(options, raw, "", warnings)
    return options, warnings


def _nest_dotted(raw: dict) -> dict:
    """Accepts `{"lenses.callers": false}` as `{"lenses": {"callers": false}}`."""
    out: dict = {}
    for key, value in raw.items():
        if isinstance(key, str) and "." in key:
            head, tail = key.split(".", 1)
            nested = out.setdefault(head, {})
            if isinstance(nested, dict):
                nested[tail] = value
                continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def _read_into(target: Any, raw: dict, prefix: str, warnings: list[str]) -> None:
    fields = {to_camel(f.name): f for f in dataclasses.fields(target)}
    for key, value in raw.items():
        f = fields.get(key)
        if f is None:
            warnings.append(f"unknown option {prefix}{key!s}; ignored")
            continue
        default = getattr(target, f.name)
        if dataclasses.is_dataclass(default):
            if isinstance(value, dict):
                _read_into(default, value, f"{prefix}{key}.", warnings)
            elif value is not None:
                warnings.append(f"option {prefix}{key} should be an object, got {_describe(value)}; using the defaults")
            continue
        checked = _check(f.name, value)
        if checked is _INVALID:
            warnings.append(
                f"option {prefix}{key} should be {_EXPECTED.get(f.name, 'another type')}, "
                f"got {_describe(value)}; using the default ({_describe(default)})"
            )
            continue
        if value is None and f.name != "database_path":
            continue  # null: the default
        setattr(target, f.name, checked)


_INVALID = object()
_EXPECTED = {
    "database_path": "a string or null",
    "exclude": "an array of strings",
    "use_gitignore": "true or false",
    "implementations": "true or false",
    "callers": "true or false",
    "blast_radius": "true or false",
    "blast_radius_depth": f"an integer from 0 to {MAX_BLAST_RADIUS_DEPTH}",
    "include_heuristic": "true or false",
    "max_file_bytes": "a positive integer",
}


def _check(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "database_path":
        return (value or None) if isinstance(value, str) else _INVALID
    if name == "exclude":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return list(value) if ok else _INVALID
    if name in ("use_gitignore", "implementations", "callers", "blast_radius", "include_heuristic"):
        return value if isinstance(value, bool) else _INVALID
    if name == "blast_radius_depth":
        ok = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and float(value).is_integer()
            and 0 <= value <= MAX_BLAST_RADIUS_DEPTH
        )
        return int(value) if ok else _INVALID
    if name == "max_file_bytes":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and value > 0
        return int(value) if ok else _INVALID
    return _INVALID


def _describe(value: Any) -> str:
    import json

    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."
