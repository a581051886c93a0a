"""The service profile: what the service's users do and what "data intact" means, in the user's files.

Traffic, the smoke probe, availability and latency probes, the data checks of deployment and rollback steps and chaos
write actions read it instead of naming any service's paths; the sandbox's orders API is one profile among others
(``profiles/orders.yaml``). The format is documented in docs/profile.md.
"""

from __future__ import annotations

from opsready.profile.attach import attach, kind_of, profile_of, traffic_of
from opsready.profile.data import DataCount, count_data, data_intact
from opsready.profile.load import load_profile, parse_profile, profile_for
from opsready.profile.model import Journey, JsonPath, Profile, Step, builtin_profile
from opsready.profile.run import JourneyRun, Request, run_journey

__all__ = [
    "DataCount",
    "Journey",
    "JourneyRun",
    "JsonPath",
    "Profile",
    "Request",
    "Step",
    "attach",
    "builtin_profile",
    "count_data",
    "data_intact",
    "kind_of",
    "load_profile",
    "parse_profile",
    "profile_for",
    "profile_of",
    "run_journey",
    "traffic_of",
]
