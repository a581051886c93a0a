"""Bindings for features/chaos.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("chaos.feature")
