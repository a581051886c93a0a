"""The soak (``make soak``, opt-in): the interruption matrix and deploy/rollback cycles, long enough to trust.

Two parts, each on a sandbox of its own (a temporary state directory, free ports, purged at the end whatever happens),
each stopped cleanly at a wall-time bound and reported with the counts it reached:

- ``matrix``: SIGINT, SIGTERM, SIGINT twice, SIGKILL then ``opsready recover``, SIGKILL then the dead-man watchdog,
  ``SOAK_TRIALS`` trials each (default 50: 250 trials), the fault kinds the sandbox offers taking turns (each of the
  14 kinds meets each interruption 3 or 4 times), in rounds (every interruption once per round). Measured per
  trial: faults left (the journal's open faults, plus the sandbox's real state checked independently), revert
  latency (from the signal, or from the fault's deadline for the dead-man, to the verified revert journaled),
  processes of the run left alive. Bound ``SOAK_MATRIX_BOUND`` seconds.
- ``cycles``: ``SOAK_CYCLES`` deploy/rollback cycles (default 1,000) through the sandbox target's own ``deploy`` and
  ``rollback`` (no soak), with the orders' count and checksum before and after. Bound ``SOAK_CYCLES_BOUND`` seconds.

Also: ``SOAK_KINDS`` (comma-separated fault kinds), ``SOAK_PARTS`` (``matrix``, ``cycles``), ``SOAK_SEED``,
``SOAK_OUT`` (default ``reports/soak``: ``soak.json``, ``soak.md``). Exit code 0 when every goal is met, 1 when one
is missed (a part stopped short of what was asked included), 2 for a bad setting.
"""
