"""The suite's configuration, opsready.yaml: :mod:`.suite` (targets, SLOs, triggers, safety) and :mod:`.maintenance`
(the ``maintenance:`` section), :mod:`.gate` (the ``gate:`` section). The names every caller needs are importable
from here."""

from opsready.config.gate import ExpectedSkip, GateConfig
from opsready.config.suite import (
    CONFIG_NAME,
    KINDS,
    PLATFORMS,
    Config,
    DeploymentConfig,
    RollbackTriggers,
    Safety,
    Slos,
    TargetConfig,
    TargetKind,
    find_config,
    load_config,
    parse_config,
)

__all__ = [
    "CONFIG_NAME",
    "KINDS",
    "PLATFORMS",
    "Config",
    "DeploymentConfig",
    "ExpectedSkip",
    "GateConfig",
    "RollbackTriggers",
    "Safety",
    "Slos",
    "TargetConfig",
    "TargetKind",
    "find_config",
    "load_config",
    "parse_config",
]
