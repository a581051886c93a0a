"""Capacity planning: locust load runs split by phase, thresholds, the capacity finder, scaling triggers,
forecasting and the capacity plan."""

from pathlib import Path

DEFAULT_PATH = Path("loadtests/capacity.yaml")  # the capacity file beside opsready.yaml, where the CLI and steps look
