"""Reading the kubeconfig: which files, which context, and an ``ApiClient`` for it, with every credential in it
registered for redaction before anything could print it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from opsready.errors import ConfigError, EnvironmentProblem, Loc, OpsreadyError
from opsready.kubernetes.redaction import Redactor


def contexts(paths: tuple[Path, ...]) -> tuple[tuple[str, ...], str | None]:
    """Context names defined across the kubeconfig files, and the current-context (first file that sets it)."""
    names: list[str] = []
    current: str | None = None
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(data, Mapping):
            continue
        for entry in data.get("contexts") or ():
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry["name"] not in names:
                names.append(entry["name"])
        if current is None and isinstance(data.get("current-context"), str) and data["current-context"]:
            current = data["current-context"]
    return tuple(names), current


def connect(paths: tuple[Path, ...], context: str | None, context_loc: Loc, redact: Redactor) -> Any:
    """An ``ApiClient`` for ``context`` (default: current-context) of the kubeconfig ``paths``."""
    from opsready.extras import require

    kube_config = require("kubernetes.config", "kubernetes", "kubernetes")

    redact.add_files(paths)
    present = tuple(p for p in paths if p.is_file())
    shown = os.pathsep.join(str(p) for p in paths)
    if not present:
        raise EnvironmentProblem(
            f"no kubeconfig at {shown}", hint="set KUBECONFIG, or 'kubeconfig' in the target's options"
        )
    names, current = contexts(present)
    wanted = context or current
    if wanted is None:
        raise ConfigError(f"{shown} sets no current-context: name one with 'context'", context_loc)
    if wanted not in names:
        raise ConfigError(
            f"context '{wanted}' is not defined in {shown} (contexts: {', '.join(names) or 'none'})", context_loc
        )
    problem: OpsreadyError | None = None
    try:
        api = kube_config.new_client_from_config(
            config_file=os.pathsep.join(str(p) for p in present), context=wanted, persist_config=False
        )
    except Exception as exc:  # ConfigException, exec plugin failures, bad certificates: many kinds, one answer
        problem = EnvironmentProblem(f"cannot use context '{wanted}' of {shown}: {redact(str(exc))[:300]}")
    if problem is not None:
        raise problem  # outside the except block: the library's exception may quote the kubeconfig
    configuration = api.configuration
    # credentials obtained at run time (exec plugins, OIDC refresh) are not in the files: remember them too
    redact.add(str(v) for v in configuration.api_key.values() if v)
    redact.add(str(v) for v in (configuration.password,) if v)
    return api
