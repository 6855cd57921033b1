"""Launcher support that Hydra's launcher plugins lack: connecting a sweep to a Ray cluster.

:mod:`bench.launcher.ray_cluster` is the driver side of ``launcher=ray_cluster``
(``conf/launcher/ray_cluster.yaml``).
"""
