"""Starts the isg-lsp server that a platform .vsix of the ISG extension bundles, with the Python that runs this file.

The extension runs it as ``<python> -I <extension>/bundled/tool/isg_server.py [--check]``. The bundled packages
(``bundled/libs``: isg_lsp, pygls, tree-sitter and its grammars, ...) come first on ``sys.path``, so whatever the
interpreter has installed itself does not matter (as in Microsoft's Python-tool extensions).

``--check`` imports everything the server needs, loads every grammar, and prints one line of JSON on stdout:
``{"python": "3.11.2", "executable": ..., "isgLsp": "0.2.0", "location": ..., "bundled": true, "languages": [...]}``.
Exit codes: 0 fine, 3 this Python is too old, 4 an import failed (the message on stderr says which).
Without ``--check`` it runs ``isg-lsp serve`` with the remaining arguments (stdio).
"""

import json
import os
import sys

MIN_PYTHON = (3, 11)


def _libs() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")


def _check() -> int:
    try:
        import isg_lsp
        import isg_lsp.server.server  # noqa: F401 - the language server: pygls, lsprotocol, cattrs, attrs
        from isg_lsp import languages
    except Exception as error:  # noqa: BLE001 - reported to the extension, which shows it
        sys.stderr.write(f"isg-lsp: cannot import the server with Python {sys.version.split()[0]} "
                         f"({sys.executable}): {type(error).__name__}: {error}\n")
        return 4
    loaded, missing = [], []
    for spec in languages.LANGUAGES:
        try:
            languages.grammar(spec.name)
            loaded.append(spec.name)
        except Exception as error:  # noqa: BLE001
            missing.append(f"{spec.name} ({type(error).__name__}: {error})")
    if missing:
        sys.stderr.write(f"isg-lsp: the tree-sitter grammars of {', '.join(missing)} do not load in Python "
                         f"{sys.version.split()[0]} ({sys.executable}); this .vsix may be for another platform.\n")
        return 4
    location = os.path.dirname(os.path.abspath(isg_lsp.__file__))
    print(json.dumps({
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "isgLsp": isg_lsp.__version__,
        "location": location,
        "bundled": os.path.normcase(location).startswith(os.path.normcase(_libs())),
        "languages": loaded,
    }))
    return 0


def main() -> int:
    if sys.version_info < MIN_PYTHON:
        sys.stderr.write(f"isg-lsp needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; "
                         f"{sys.executable} is Python {sys.version.split()[0]}.\n")
        return 3
    sys.path.insert(0, _libs())
    argv = sys.argv[1:]
    if argv[:1] == ["--check"]:
        return _check()
    from isg_lsp.cli import main as cli_main

    return cli_main(["serve", *argv])


if __name__ == "__main__":
    sys.exit(main())
