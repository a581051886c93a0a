"""A minimal PEP 517 build backend (standard library only): builds this plugin's wheel from pyproject.toml, so the
example installs without a network and without setuptools' optional wheel package. A real plugin uses setuptools,
hatchling or flit: they write the same entry_points.txt."""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project: dict[str, object] = tomllib.load(handle)["project"]
    return project


def _metadata(project: dict[str, object]) -> tuple[str, str]:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    lines += [f"Summary: {project.get('description', '')}", f"Requires-Python: {project.get('requires-python', '')}"]
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]  # type: ignore[attr-defined]
    points = []
    for group, entries in project.get("entry-points", {}).items():  # type: ignore[attr-defined]
        points.append(f"[{group}]")
        points += [f"{name} = {value}" for name, value in entries.items()]
        points.append("")
    return "\n".join(lines) + "\n", "\n".join(points)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory: str, config_settings: object = None, metadata_directory: object = None) -> str:
    """Build the wheel: the package under src/ and its dist-info."""
    project = _project()
    dist = str(project["name"]).replace("-", "_")
    info = f"{dist}-{project['version']}.dist-info"
    metadata, entry_points = _metadata(project)
    files: dict[str, bytes] = {
        path.relative_to(ROOT / "src").as_posix(): path.read_bytes()
        for path in sorted((ROOT / "src").rglob("*.py"))
    }
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: toybuild\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{dist}-{project['version']}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as wheel:
        for member, data in files.items():
            wheel.writestr(member, data)
    return name


def build_sdist(sdist_directory: str, config_settings: object = None) -> str:
    """Not offered: install the example from its directory."""
    raise NotImplementedError("the example plugin is installed from its directory")
