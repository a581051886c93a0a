"""Bindings for features/deployment.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("deployment.feature")
