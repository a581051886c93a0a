"""Troubleshooting guides that run: a decision tree of probe-answered questions, walked against a live target.

- :mod:`.model`, :mod:`.load`: the tree as data (``runbooks/troubleshooting-tree.yaml``) and its validation;
- :mod:`.walk`: the read-only walk, every probe under a timeout, the whole walk under a time limit;
- :mod:`.evidence`: the culprit of a diagnosis and the evidence bundle of ``opsready diagnose --collect``;
- :mod:`.remedy`: the remedies the linked runbooks prescribe;
- :mod:`.render`: the walk as text and as JSON.
"""
