"""WSGI entry point of this release: gunicorn serves ``wsgi:app`` from the sandbox's ``current`` link."""

from __future__ import annotations

from pathlib import Path

from opsready.sandbox.service.app import create_app

app = create_app(Path(__file__).resolve().parent)
