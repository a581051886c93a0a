"""Chaos experiments whose faults are always reverted.

Faults come from the target (:mod:`opsready.targets.faults`); this package makes them safe to use:

- :mod:`.journal`: every fault is journaled (intent fsync'd before it is applied, applied, reverted) on disk;
- :mod:`.guard` and :mod:`.shield`: the always-revert runner, whatever happens in the process (signals included);
- :mod:`.watchdog`: a detached dead-man process per fault that reverts it at its time limit if nobody did;
- :mod:`.recover`: ``opsready recover`` after a crash or SIGKILL;
- :mod:`.experiment`, :mod:`.runner`, :mod:`.plan`: chaostoolkit experiments validated before the first fault;
- :mod:`.actions`, :mod:`.probes`, :mod:`.control`: the chaostoolkit extension, so plain ``chaos run`` gets the
  same journal and always-revert behaviour.
"""
