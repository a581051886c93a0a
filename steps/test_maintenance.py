"""Bindings for features/maintenance.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("maintenance.feature")
