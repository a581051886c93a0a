"""The team's monitoring, as opsready reads it: Prometheus and Alertmanager over their HTTP APIs (:mod:`.client`),
alert rule files and promtool (:mod:`.rules`), and the webhook receiver Alertmanager pages (:mod:`.receiver`).

A core module: targets expose where their monitoring is (:class:`.client.Monitored`), capabilities read it.
"""
