"""The test run's Hypothesis profile: a loaded machine can slow a property down, never fail it."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.conftest import HYPOTHESIS_PROFILE


def test_the_run_uses_the_profile_without_a_deadline() -> None:
    current = settings()
    assert settings.get_current_profile_name() == HYPOTHESIS_PROFILE
    assert current.deadline is None
    assert HealthCheck.too_slow in current.suppress_health_check
    assert current.print_blob
