"""The one guard every traffic-sending gate passes before its first request: the load allowlist.

Only loopback and the hosts a deployment profile lists in ``[deployment.load] allowed_hosts`` may
receive load (a load run, a latency probe, a fuzzing or rate-limit burst, a restart under load).
The check is on the URL alone, before any name lookup or connection, so a refused host never sees
a single packet. The plugin applies it to every gate marked ``needs("load")`` before the gate sets
anything up, and the engines (the Locust runner, the latency probe) apply it again to the exact URL
they are handed. Pure: no pytest import, no network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


class TrafficRefused(ValueError):
    """The target is neither loopback nor listed in ``[deployment.load] allowed_hosts``."""


def ensure_allowed(base_url: str, allowed_hosts: Iterable[str] = ()) -> str:
    """Return the host name of ``base_url`` if it may receive load, else raise :class:`TrafficRefused`."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise TrafficRefused(f"refusing to load {base_url!r}: not an http(s) URL with a host")
    listed = [h.lower() for h in allowed_hosts]
    if is_loopback(host) or host in listed:
        return host
    raise TrafficRefused(
        f"refusing to load-test {host} ({base_url}): only loopback and the hosts in the deployment profile's "
        f"[deployment.load] allowed_hosts may be loaded (listed: {', '.join(listed) or 'none'}). Add the staging "
        "host there if it is meant to take this load — never production."
    )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
