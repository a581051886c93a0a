"""Faults the sandbox can inject and revert (see :mod:`opsready.targets.faults` for the model).

Every fault is reverted from its spec, id and journaled facts alone, so the dead-man watchdog and ``opsready
recover`` can undo what a killed harness left behind. Faults that need a process to hold them (a database lock,
exhausted connections, a CPU hog, memory pressure) run a *holder* (:mod:`.holder`) in a session of its own that
gives up by itself at the fault's deadline.
"""
