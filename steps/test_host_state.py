"""Bindings for features/host_state.feature: the steps come from the opsready step library.

testinfra parametrizes its ``host`` fixture at collection, so the scenario asks for it by name (hosts come from
``--hosts``; the local machine by default, which is where the sandbox runs). A target with hosts of its own
(``platform: hosts``) is checked on each of them instead, through the target's own SSH connections.
"""

from typing import Any

from pytest_bdd import scenario


@scenario("host_state.feature", "The hosts are in the expected state")
def test_hosts_are_in_the_expected_state(host: Any) -> None:
    """Host state of every service, socket, release link and data directory."""
