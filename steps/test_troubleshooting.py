"""Bindings for features/troubleshooting.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("troubleshooting.feature")
