"""Where opsready may act on a cluster: the namespace allowlist and label selectors, checked before any request.

Names are compared exactly, the way the API server compares them: no case folding, no trimming, no Unicode
normalisation, no aliases. A namespace that is not a valid DNS-1123 label cannot exist on a cluster, so it is refused
as a mistake rather than looked up. ``kube-system`` and the other ``kube-*`` namespaces are never allowed, even when
someone lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from opsready.errors import UsageError

NEVER = ("kube-system", "kube-public", "kube-node-lease")
# re.fullmatch, never re.match with '$': '$' also matches before a trailing newline ("orders\n").
_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")
_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
# a label selector's operators ('!' = the key must be absent)
Op = Literal["=", "==", "!=", "in", "notin", "exists", "!"]
_OPS: tuple[Op, ...] = get_args(Op)
_REQUIREMENT = re.compile(
    r"\s*(?:(?P<not>!)\s*(?P<nkey>[^\s,=!()]+)"
    r"|(?P<key>[^\s,=!()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s,=!()]*)"
    r"|\s(?P<setop>in|notin)\s*\((?P<values>[^()]*)\))?)\s*"
)


def _shown(text: str) -> str:
    """The name as repr shows it, so invisible characters (spaces, newlines, zero-width) are visible in errors."""
    return repr(text)


def check_namespace(namespace: object, allowed: tuple[str, ...]) -> str:
    """The namespace if opsready may act in it; otherwise a :class:`UsageError` saying why."""
    if not isinstance(namespace, str):
        raise UsageError(f"a namespace must be a string, got {type(namespace).__name__} {namespace!r}")
    if namespace in NEVER:
        raise UsageError(
            f"namespace '{namespace}' is never allowed: opsready does not act on cluster system namespaces"
        )
    if _LABEL.fullmatch(namespace) is None:
        raise UsageError(
            f"namespace {_shown(namespace)} is not a valid Kubernetes namespace name "
            "(lowercase letters, digits and '-', at most 63 characters)"
        )
    if namespace not in allowed:
        listed = ", ".join(allowed) if allowed else "nothing"
        raise UsageError(
            f"namespace '{namespace}' is not in safety.kubernetes_namespaces (allowed: {listed}); "
            "names are compared exactly"
        )
    return namespace


def check_name(name: object, what: str) -> str:
    """A Kubernetes object name (DNS-1123 subdomain): no '/', no '..', no upper case, no spaces."""
    if not isinstance(name, str) or _SUBDOMAIN.fullmatch(name) is None or ".." in name:
        raise UsageError(
            f"{what} {name!r} is not a valid Kubernetes object name (lowercase letters, digits, '-' and '.')"
        )
    return name


def _check_key(key: str, selector: str) -> None:
    prefix, _, name = key.rpartition("/")
    if (prefix and _SUBDOMAIN.fullmatch(prefix) is None) or _NAME.fullmatch(name) is None:
        raise UsageError(f"label selector {_shown(selector)}: {_shown(key)} is not a valid label key")


def _check_value(value: str, selector: str) -> None:
    if value and _NAME.fullmatch(value) is None:
        raise UsageError(f"label selector {_shown(selector)}: {_shown(value)} is not a valid label value")


def _op(text: str) -> Op:
    for op in _OPS:
        if op == text:
            return op
    raise UsageError(f"unknown label selector operator {text!r}")  # the pattern only matches the operators above


@dataclass(frozen=True)
class Requirement:
    """One requirement of a label selector: ``key op values``."""

    key: str
    op: Op
    values: tuple[str, ...] = ()

    @property
    def positive(self) -> bool:
        """Whether it narrows the selection to pods that carry something (not just lack something)."""
        return self.op in ("=", "==", "in", "exists")

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a pod with ``labels`` satisfies it."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "==", "in"):
            return present and value in self.values
        if self.op == "!=":
            return not present or value not in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


@dataclass(frozen=True)
class Selector:
    """A validated label selector that narrows to specific pods (never an empty or negative-only one)."""

    text: str
    requirements: tuple[Requirement, ...]

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a pod with ``labels`` is selected."""
        return all(r.matches(labels) for r in self.requirements)

    @classmethod
    def of_labels(cls, labels: dict[str, str]) -> Selector:
        """The equality selector for a set of labels (a deployment's matchLabels)."""
        if not labels:
            raise UsageError("an empty set of labels selects every pod: refusing to use it as a selector")
        return parse_selector(",".join(f"{k}={v}" for k, v in sorted(labels.items())))


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def parse_selector(text: object) -> Selector:
    """Validate a label selector the way the API server parses it, and refuse ones that select too much."""
    if not isinstance(text, str):
        raise UsageError(f"a label selector must be a string, got {type(text).__name__} {text!r}")
    if not text.strip():
        raise UsageError("an empty label selector selects every pod in the namespace: refusing it")
    requirements: list[Requirement] = []
    for part in _split(text):
        match = _REQUIREMENT.fullmatch(part)
        if match is None or not part.strip():
            raise UsageError(f"label selector {_shown(text)}: cannot parse {_shown(part)}")
        if match.group("nkey"):
            _check_key(match.group("nkey"), text)
            requirements.append(Requirement(match.group("nkey"), "!"))
            continue
        key = match.group("key")
        _check_key(key, text)
        if match.group("op"):
            _check_value(match.group("value"), text)
            requirements.append(Requirement(key, _op(match.group("op")), (match.group("value"),)))
        elif match.group("setop"):
            values = tuple(v.strip() for v in match.group("values").split(","))
            if not any(values):
                raise UsageError(f"label selector {_shown(text)}: '{key} {match.group('setop')} ()' needs values")
            for value in values:
                _check_value(value, text)
            requirements.append(Requirement(key, _op(match.group("setop")), values))
        else:
            requirements.append(Requirement(key, "exists"))
    if not any(r.positive for r in requirements):
        raise UsageError(
            f"label selector {_shown(text)} only excludes pods: it would select every pod that lacks a label; "
            "add a requirement such as app=orders"
        )
    return Selector(text, tuple(requirements))


class Guard:
    """The last check before a mutating request leaves the process: the namespace is the allowlisted one."""

    def __init__(self, namespace: str, allowed: tuple[str, ...]) -> None:
        self.namespace = check_namespace(namespace, allowed)
        self.allowed = allowed

    def check(self, namespace: str) -> None:
        """Refuse a mutation outside the target's namespace (defence in depth behind the parsed options)."""
        check_namespace(namespace, self.allowed)
        if namespace != self.namespace:
            raise UsageError(f"refused: this target acts only in namespace '{self.namespace}', not '{namespace}'")
