"""A target's own monitoring (``monitoring: {prometheus: URL, alertmanager: URL}``): where the team's Prometheus and
Alertmanager answer, and what opsready may do there.

Read-only unless the user allows more in ``allow``: ``silences`` (maintenance may create and expire Alertmanager
silences) and ``receiver`` (Alertmanager routes pages to opsready's webhook receiver on ``receiver_port``, a route the
user adds to their own Alertmanager). Silences match the alerts of the components a maintenance touches: by default
the label ``component`` equal to the component's name, or the matchers given under ``components`` (Alertmanager's
syntax: ``job=~"postgres|pgbouncer"``). Every mistake is reported at its line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import urlsplit

from opsready.errors import Loc, ValidationError
from opsready.yamlsrc import MapReader

Permission = Literal["silences", "receiver"]
PERMISSIONS: tuple[Permission, ...] = get_args(Permission)
# the components a maintenance may touch, in every platform's words
Component = Literal["api", "worker", "edge", "database"]
COMPONENTS: tuple[Component, ...] = get_args(Component)
DEFAULT_LABEL = "component"

_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager label matcher (API v2's name, value, isRegex, isEqual)."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def describe(self) -> str:
        """Alertmanager's own notation: ``job=~"api|edge"``."""
        op = ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex else "!=")
        return f'{self.name}{op}"{self.value}"'

    def to_api(self) -> dict[str, object]:
        """The matcher as Alertmanager's API v2 takes it."""
        return {"name": self.name, "value": self.value, "isRegex": self.is_regex, "isEqual": self.is_equal}


def parse_matcher(text: str, loc: Loc | None = None) -> Matcher:
    """``name="value"``, ``name=~"regex"``, ``name!="value"`` or ``name!~"regex"``; a ValidationError otherwise."""
    found = _MATCHER.match(text)
    if found is None:
        raise ValidationError(
            f'\'{text}\' is not an Alertmanager matcher (write it like job="api" or job=~"postgres|pgbouncer")', loc
        )
    name, op, value = found.groups()
    value = value.replace('\\"', '"')
    if "~" in op:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationError(f"'{text}': the regular expression does not compile ({exc})", loc) from None
    return Matcher(name, value, is_regex="~" in op, is_equal=op in ("=", "=~"))


def default_matchers(component: Component) -> tuple[Matcher, ...]:
    """The alerts of ``component`` when the configuration says nothing else: ``component="<name>"``."""
    return (Matcher(DEFAULT_LABEL, component),)


@dataclass(frozen=True)
class TargetMonitoring:
    """A target's ``monitoring`` setting."""

    target: str
    prometheus: str
    alertmanager: str
    allow: tuple[Permission, ...]
    loc: Loc
    receiver_port: int | None = None
    components: tuple[tuple[Component, tuple[Matcher, ...]], ...] = ()
    receiver_address: str = "127.0.0.1"  # where the receiver listens: loopback unless Alertmanager runs elsewhere

    def allows(self, permission: Permission) -> bool:
        """Whether the user allowed ``permission``."""
        return permission in self.allow

    def setting(self) -> str:
        """Where a permission is given: 'targets.prod.monitoring.allow (opsready.yaml:12)'."""
        return f"targets.{self.target}.monitoring.allow ({self.loc})"

    def matchers(self, component: Component) -> tuple[Matcher, ...]:
        """The matchers of ``component``'s alerts."""
        return dict(self.components).get(component) or default_matchers(component)


def _url(r: MapReader, key: str) -> str:
    text = str(r.string(key)).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"'{key}' must be an http(s) URL, got {text!r}", r.loc_of(key))
    if parts.username or parts.password:
        raise ValidationError(f"'{key}' must be given without credentials in the URL", r.loc_of(key))
    return text


def parse_target_monitoring(r: MapReader, target: str) -> TargetMonitoring:
    """The ``monitoring`` mapping of target ``target``; every mistake a ValidationError at its line."""
    prometheus, alertmanager = _url(r, "prometheus"), _url(r, "alertmanager")
    allow: list[Permission] = []
    for item, loc in r.items("allow", []):
        if item not in PERMISSIONS:
            raise ValidationError(f"'allow' takes {', '.join(PERMISSIONS)}; got {item!r}", loc)
        allow.append(item)
    port = r.integer("receiver_port", None, minimum=1)
    if port is not None and port > 65535:
        raise ValidationError(f"'receiver_port' must be a TCP port, got {port}", r.loc_of("receiver_port"))
    if port is not None and "receiver" not in allow:
        raise ValidationError(
            "'receiver_port' routes pages to opsready: add 'receiver' to 'allow' to say you routed them",
            r.loc_of("receiver_port"),
        )
    if port is None and "receiver" in allow:
        raise ValidationError("'allow: [receiver]' needs 'receiver_port': where opsready listens", r.loc_of("allow"))
    address = str(r.string("receiver_address", "127.0.0.1")).strip()
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValidationError(
            f"'receiver_address' must be an IP address of this machine to listen on (127.0.0.1, 0.0.0.0, ...), "
            f"got {address!r}",
            r.loc_of("receiver_address"),
        ) from None
    if r.has("receiver_address") and port is None:
        raise ValidationError("'receiver_address' needs 'receiver_port'", r.loc_of("receiver_address"))
    components: list[tuple[Component, tuple[Matcher, ...]]] = []
    section = r.optional_map("components", "'components'")
    if section is not None:
        for name in section.names():
            if name not in COMPONENTS:
                raise ValidationError(
                    f"unknown component '{name}' (components: {', '.join(COMPONENTS)})", section.loc_of(name)
                )
            texts = section.str_list(name)
            if not texts:
                raise ValidationError(f"'{name}' needs at least one matcher", section.loc_of(name))
            matchers = tuple(parse_matcher(t, section.loc_of(name)) for t in texts)
            components.append((name, matchers))
    r.done()
    loc = r.loc_of("allow") if r.has("allow") else r.loc
    return TargetMonitoring(target, prometheus, alertmanager, tuple(allow), loc, port, tuple(components), address)
