"""Bindings for features/incident_response.feature: the steps come from the opsready step library."""

from pytest_bdd import scenarios

scenarios("incident_response.feature")
