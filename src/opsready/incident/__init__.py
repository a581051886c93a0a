"""Incident response as drills: classification, escalation, responders, mitigation, communications and reviews.

- :mod:`.classification` and :mod:`.triage`: severities with observable criteria over the shared probes, and the
  classifier that turns observations into a severity with the evidence that decided it;
- :mod:`.escalation`, :mod:`.oncall` and :mod:`.paging`: rotations, escalation policies, their checks, and the
  simulation of who is paged when;
- :mod:`.responder`: who acknowledges (automatic in CI, a person in a game day);
- :mod:`.mitigation`: the automated mitigation an incident runbook declares, run through the Target;
- :mod:`.comms`, :mod:`.webhook`, :mod:`.review` and :mod:`.actions`: notices, the optional chat webhook,
  post-incident review drafts and their open action items;
- :mod:`.monitor` and :mod:`.drill`: the probe loop and the drill (detect, classify, acknowledge, mitigate, recover).

Faults are not injected here: the drill is handed an injection callable (the steps wire in the chaos package), so
this package meets the others only in core types (Target, Timeline, probes, the fault model).
"""
