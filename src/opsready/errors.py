"""The one exception tree of opsready.

::

    OpsreadyError                      anything opsready raises on purpose
    ├── UserError                      the user can fix it; printed as ``path:line: message``, exit code 2
    │   ├── ConfigError                opsready.yaml and other configuration
    │   ├── ValidationError            checklists, runbooks, experiments, plans and other input files
    │   └── UsageError                 a bad argument or an impossible request (unknown release, ...)
    ├── EnvironmentProblem             the machine is not ready (port taken, PostgreSQL missing, sandbox down); exit 2
    │   ├── MissingExtra               a platform's optional dependencies are not installed
    │   └── PluginError                an installed plugin is broken, ambiguous or takes a built-in name
    └── TargetError                    the target misbehaved while we drove it; exit 1
        ├── DeployError                a deployment could not be completed
        ├── RollbackError              a rollback could not be completed
        ├── ProbeError                 an observation could not be made
        ├── HostError                  a host could not be reached or a command on it failed or timed out
        └── BalancerError              the load balancer's admin interface was unreachable or refused a command

User-facing errors never show a traceback: the CLI and the pytest plugin print :meth:`OpsreadyError.render`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]*@", re.IGNORECASE)
# a key that names a credential, and its value (block or flow style): a quoted line never shows the value
_SECRET_VALUE = re.compile(
    r"""(\b[\w.-]*(?:password|passwd|passphrase|secret|token|credential)[\w.-]*["']?\s*[:=]\s*)"""
    r"""("[^"]*"|'[^']*'|[^\s,}\]#]+)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Loc:
    """A place in an input file: a path and a 1-based line number (0 when unknown)."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def source_line(self) -> str | None:
        """The text of the offending line, if the file can be read."""
        if not self.line:
            return None
        try:
            lines = Path(self.path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        return lines[self.line - 1] if 0 < self.line <= len(lines) else None


class OpsreadyError(Exception):
    """Base of every error opsready raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, loc: Loc | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}" if self.loc else self.message

    def render(self) -> str:
        """The error as the user sees it: ``path:line: message``, the offending line, and a hint."""
        out = [str(self)]
        if self.loc is not None:
            text = self.loc.source_line()
            if text is not None:
                # a quoted line may hold a URL with a password (a refused host spec) or a credential under a key
                # (``password: ...``, refused as unknown): never echo either
                masked = _SECRET_VALUE.sub(r"\g<1>***", _URL_PASSWORD.sub(r"\g<1>:***@", text.rstrip()))
                out.append("    " + masked)
        if self.hint:
            out.append(f"hint: {self.hint}")
        return "\n".join(out)


class UserError(OpsreadyError):
    """Something the user can fix in their input or command line."""

    exit_code = 2


class ConfigError(UserError):
    """A mistake in opsready.yaml or another configuration file."""


class ValidationError(UserError):
    """A mistake in an input file other than the configuration (checklist, runbook, experiment, plan)."""


class UsageError(UserError):
    """A bad argument or a request that cannot be satisfied as asked."""


class EnvironmentProblem(OpsreadyError):
    """The machine is not ready: a port is taken, a server binary is missing, the sandbox is not running."""

    exit_code = 2


class MissingExtra(EnvironmentProblem):
    """A platform needs an optional part of opsready that is not installed (``pip install 'opsready[EXTRA]'``)."""

    def __init__(self, platform: str, extra: str) -> None:
        super().__init__(f"platform '{platform}' needs the {extra} extra: pip install 'opsready[{extra}]'")
        self.platform = platform
        self.extra = extra


class PluginError(EnvironmentProblem):
    """An installed plugin (entry points ``opsready.*``) failed to load, shares its name with another, or takes the
    name of a built-in one; the message names its package."""


class TargetError(OpsreadyError):
    """The target misbehaved while opsready drove it."""


class DeployError(TargetError):
    """A deployment could not be completed."""


class RollbackError(TargetError):
    """A rollback could not be completed."""


class ProbeError(TargetError):
    """An observation of the target could not be made."""


class HostError(TargetError):
    """A host of the target could not be reached, refused us, or a command on it failed or timed out."""

    def __init__(self, message: str, host: str, hint: str | None = None) -> None:
        super().__init__(f"host {host}: {message}", hint=hint)
        self.host = host


class BalancerError(TargetError):
    """The load balancer in front of a target could not be reached, or refused a command."""
