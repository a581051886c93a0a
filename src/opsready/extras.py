"""Optional dependencies of one platform (the ``kubernetes`` extra), imported when first needed.

The base install carries what the sandbox needs; a platform's client library comes with its extra
(``pip install 'opsready[kubernetes]'``), so opsready.yaml can name such a target, and be checked, without it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from opsready.errors import MissingExtra


def require(module: str, platform: str, extra: str) -> ModuleType:
    """Import ``module``; when it is not installed, a :class:`MissingExtra` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        if exc.name is not None and exc.name.partition(".")[0] != top:
            raise  # the library is there but one of its own dependencies is broken: show that as it is
        raise MissingExtra(platform, extra) from None
