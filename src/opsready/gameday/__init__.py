"""Game days: a plan of scenarios rehearsed one after another with people (or an automatic responder) in the loop.

- :mod:`.plan`: ``gamedays/*.yaml`` as frozen dataclasses, validated (file:line) before anything runs;
- :mod:`.console`: the live terminal view and the keyboard (acknowledge, mitigate, observations);
- :mod:`.results`: a played scenario turned into the core :class:`~opsready.results.ScenarioResult`.

The orchestration that needs both the chaos and the incident package lives in :mod:`opsready.cli.gameday`, so this
package imports core modules only.
"""
