"""Bindings for features/capacity.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("capacity.feature")
