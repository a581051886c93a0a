"""Bindings for features/candidate.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("candidate.feature")
