"""``opsready init``: write a starter suite for a platform, into a new directory or an existing repository.

The templates are package data (``cli/starter/``, rendered with jinja2); ``platforms.yaml`` beside them says what
each platform fills in (the releases the drills move between, the chaos drill's fault). Nothing existing is ever
overwritten: when any file the suite needs is already there, the command lists every such file, writes nothing and
exits 2. Where only the team knows the answer (owners, contacts, its own releases) the files hold ``[FILL IN: ...]``
placeholders: ``opsready runbooks lint`` warns about each one, ``--strict`` makes them errors.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import click

from opsready import exitcodes
from opsready.cli.common import err, handle_errors, out

PLATFORM_CHOICES = ("sandbox", "hosts", "kubernetes")
FEATURES = ("host_state", "deployment", "rollback", "chaos", "candidate")
OWN_BINDINGS = ("host_state",)  # its scenario asks for testinfra's host fixture by name


@dataclass(frozen=True)
class StarterFile:
    """One file of the starter suite: its template and where it goes, relative to the suite's directory."""

    template: str
    path: str


def starter_files(experiment: str) -> tuple[StarterFile, ...]:
    """Every file ``opsready init`` writes, in the order it lists them."""
    files = [
        StarterFile("opsready.yaml.j2", "opsready.yaml"),
        StarterFile("profile.yaml.j2", "profile.yaml"),
        StarterFile("conftest.py.j2", "conftest.py"),
    ]
    files += [StarterFile(f"features/{name}.feature.j2", f"features/{name}.feature") for name in FEATURES]
    files += [
        StarterFile(
            f"steps/test_{name}.py.j2" if name in OWN_BINDINGS else "steps/test_feature.py.j2", f"steps/test_{name}.py"
        )
        for name in FEATURES
    ]
    files += [
        StarterFile(f"runbooks/{name}.md.j2", f"runbooks/{name}.md")
        for name in ("deployment", "rollback", "chaos-faults")
    ]
    files += [
        StarterFile(f"runbooks/checklists/{n}.yaml.j2", f"runbooks/checklists/{n}.yaml")
        for n in ("pre-deploy", "post-deploy")
    ]
    files += [
        StarterFile("experiments/experiment.yaml.j2", f"experiments/{experiment}.yaml"),
        StarterFile("loadtests/locustfile.py.j2", "loadtests/locustfile.py"),
        StarterFile("gamedays/README.md.j2", "gamedays/README.md"),
        StarterFile("workflows/opsready.yml.j2", ".github/workflows/opsready.yml"),
    ]
    return tuple(files)


def _platform_values(platform: str) -> dict[str, Any]:
    import yaml

    text = resources.files("opsready.cli").joinpath("starter", "platforms.yaml").read_text(encoding="utf-8")
    values: dict[str, Any] = yaml.safe_load(text)[platform]
    return values


def render(platform: str, today: date | None = None) -> tuple[tuple[str, str], ...]:
    """The starter suite for ``platform``: (relative path, text) of every file."""
    import jinja2

    values = _platform_values(platform)
    root = resources.files("opsready.cli").joinpath("starter")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: root.joinpath(*name.split("/")).read_text(encoding="utf-8")),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug in the templates, never an empty string
        keep_trailing_newline=True,
        autoescape=False,  # YAML, Markdown, Gherkin and Python, not HTML
    )
    context = {**values, "platform": platform, "today": (today or date.today()).isoformat()}
    rendered = []
    for item in starter_files(values["experiment"]["name"]):
        feature = Path(item.path).stem.removeprefix("test_")
        rendered.append((item.path, env.get_template(item.template).render(context, feature=feature)))
    return tuple(rendered)


def collisions(directory: Path, paths: tuple[str, ...]) -> tuple[str, ...]:
    """The paths that already exist under ``directory`` (a file, a directory or a link: never overwritten), and those
    whose parent exists as something other than a directory."""
    found = []
    for path in paths:
        target = directory / path
        if target.exists() or target.is_symlink():
            found.append(path)
            continue
        parents = [p for p in target.relative_to(directory).parents if str(p) != "."]
        if any((directory / p).exists() and not (directory / p).is_dir() for p in parents):
            found.append(path)
    return tuple(found)


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=Path())
@click.option(
    "--platform",
    type=click.Choice(PLATFORM_CHOICES),
    default="sandbox",
    show_default=True,
    help="The platform of the target: sandbox (the bundled reference system), hosts (SSH), kubernetes.",
)
@handle_errors
def init(directory: Path, platform: str) -> None:
    """Write a starter suite into DIRECTORY (default: here; an existing repository is fine): a commented
    opsready.yaml, a service profile, features/ and steps/ for the platform-neutral drills (host state, deployment,
    rollback, a chaos experiment), runbooks/ with checklists, experiments/, loadtests/, gamedays/ and a CI workflow.

    \b
    Nothing is overwritten: if any of these files exists, every one is listed and nothing is written (exit 2).
    Placeholders ([FILL IN: ...]) are warnings of `opsready runbooks lint`, errors with --strict.
    """
    files = render(platform)
    existing = collisions(directory, tuple(path for path, _ in files))
    if existing:
        err.print(f"[bold red]error:[/bold red] {len(existing)} file(s) of the starter suite exist in {directory}:")
        for path in existing:
            err.print(f"  {directory / path}", markup=False)
        err.print("nothing was written; move them away, or run opsready init in another directory")
        sys.exit(exitcodes.BAD_INPUT)
    for path, text in files:
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        out.print(f"wrote {target}", markup=False)
    values = _platform_values(platform)
    out.print(f"\na starter suite for {values['summary']}. Next:", markup=False)
    where = "" if directory == Path() else f"cd {directory} && "
    out.print(f"  {where}opsready config check        # the configuration and the target's options", markup=False)
    out.print("  opsready runbooks lint              # placeholders to fill in are listed as warnings", markup=False)
    out.print("  pytest --collect-only -q steps      # the drills", markup=False)
    out.print(f"  opsready gate --target {values['target']}        # the readiness gate", markup=False)
