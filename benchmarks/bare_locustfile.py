"""The bare Locust user ``generator_efficiency.py`` compares ours with: one fixed URL, no think time, no listeners."""

from __future__ import annotations

import os

from locust import FastHttpUser, task


class BareUser(FastHttpUser):
    """Requests ``BARE_PATH`` again and again."""

    path = os.environ.get("BARE_PATH", "/healthz")

    @task
    def hit(self) -> None:
        """One request."""
        self.client.get(self.path)
