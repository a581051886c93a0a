"""Bindings for features/rollback.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("rollback.feature")
