"""Faults on the hosts of a ``platform: hosts`` target, placed over SSH, each ending on the host by itself.

Kinds (:mod:`.catalog`): a service stopped, killed or paused through supervisor (:mod:`.service`); a port dropped or
rejected and an app host partitioned from a database host with nftables inside the host (:mod:`.network`); CPU and
memory pressure in a cgroup of their own (:mod:`.resources`). The on-host timer is :mod:`.timer`; the independent
sweep for anything left is :mod:`.residue`.
"""
