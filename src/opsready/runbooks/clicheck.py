"""Check a runbook's ``opsready`` command against the real command tree, by click introspection.

The tree is given (the cli face passes its root group), so this capability never imports the faces above it. A
command is walked as click would parse it: options of each group and command (a value-taking option consumes the next
word; a Choice is checked), subcommands by name, and positional arguments counted against the command's arguments.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Checked:
    """What the walk found: the command path (``("sandbox", "releases")``) and the problem, if any."""

    path: tuple[str, ...]
    problem: str | None


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known: {', '.join(known) or 'none'})"


def _option_names(command: click.Command) -> dict[str, click.Option]:
    names: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                names[name] = param
    return names


def _check_value(option: click.Option, value: str, shown: str) -> str | None:
    kind = option.type
    if isinstance(kind, click.Choice) and value not in kind.choices and not value.isupper():
        choices = ", ".join(str(c) for c in kind.choices)
        return f"`{shown}`: '{value}' is not a choice of {option.opts[-1]} ({choices})"
    return None


def _arity(command: click.Command) -> tuple[int, int | None]:
    """The fewest and most positional words the command takes (None: unbounded)."""
    least, most = 0, 0
    unbounded = False
    for param in command.params:
        if isinstance(param, click.Argument):
            if param.nargs < 0:
                unbounded = True
                least += 1 if param.required else 0
            else:
                most += param.nargs
                least += param.nargs if param.required else 0
    return least, (None if unbounded else most)


def check_argv(root: click.Command, argv: tuple[str, ...], complete: bool = False) -> Checked:
    """Walk ``argv`` (starting with ``opsready``) through the tree; ``complete``: required arguments must be given."""
    command = root
    path: list[str] = []
    words = list(argv[1:])
    positional: list[str] = []
    help_asked = False
    options = _option_names(command)
    while words:
        word = words.pop(0)
        shown = " ".join(("opsready", *path))
        if word == "--":
            positional.extend(words)
            break
        if word == "...":  # "and so on": nothing after it can be checked
            return Checked(tuple(path), None)
        if word.startswith("-") and word != "-":
            name, has_value, value = word.partition("=")
            if name in ("-h", "--help"):
                help_asked = True
                continue
            option = options.get(name)
            if option is None:
                hint = _suggest(name, sorted(options))
                return Checked(tuple(path), f"`{shown}` has no option '{name}'{hint}")
            if option.is_flag or option.count:
                if has_value:
                    return Checked(tuple(path), f"`{shown}`: option '{name}' is a flag and takes no value")
                continue
            if not has_value:
                if not words:
                    return Checked(tuple(path), f"`{shown}`: option '{name}' needs a value")
                value = words.pop(0)
            problem = _check_value(option, value, shown)
            if problem:
                return Checked(tuple(path), problem)
            continue
        if isinstance(command, click.Group) and not positional:
            sub = command.commands.get(word)
            if sub is None:
                hint = _suggest(word, sorted(command.commands))
                return Checked(tuple(path), f"`{shown}` has no command '{word}'{hint}")
            command = sub
            path.append(word)
            options = _option_names(command)
            continue
        positional.append(word)
    shown = " ".join(("opsready", *path))
    if help_asked or isinstance(command, click.Group):
        return Checked(tuple(path), None)
    least, most = _arity(command)
    if most is not None and len(positional) > most:
        extra = " ".join(positional[most:])
        return Checked(tuple(path), f"`{shown}` takes {most} argument(s), got {len(positional)} (extra: '{extra}')")
    if complete and len(positional) < least:
        return Checked(tuple(path), f"`{shown}` needs {least} argument(s), got {len(positional)}")
    return Checked(tuple(path), None)


def platform_of(path: tuple[str, ...], platform_only: Mapping[str, str]) -> str | None:
    """The platform a command path exists for, when the face declares its group or command platform-specific."""
    for depth in range(len(path), 0, -1):
        found = platform_only.get(" ".join(path[:depth]))
        if found is not None:
            return found
    return None
