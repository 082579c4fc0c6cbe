"""Import a module that a home may or may not provide (`<home>.demo`, `<home>.runtime`, ...)."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(name: str) -> ModuleType | None:
    """The module, or None when it (or a package above it) does not exist.

    An import error raised *inside* an existing module is not swallowed.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if name == missing or name.startswith(missing + "."):
            return None
        raise
