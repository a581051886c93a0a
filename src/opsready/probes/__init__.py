"""Read-only observations of a target, written once and shared by checklists, rollback triggers, chaos
steady-state hypotheses, the troubleshooting tree and game-day dashboards."""
