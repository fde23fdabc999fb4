"""The declared user model, its parsing from a deployment profile, and the rules that make a run no measurement."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pytest_castmatch import profiles, settings
from pytest_castmatch.checks import ops
from pytest_castmatch.config import ConfigError, load_gates
from pytest_castmatch.deployment import DeploymentError, Load
from pytest_castmatch.runners import loadplan, loadreport, usermodel
from pytest_castmatch.runners import locust as load

BASE = "schema = 1\n[owners.devops]\ntitle = 'DevOps'\n\n"
PROFILE = "[deployment]\nname = 'staging'\n\n[deployment.load]\nuser = 'CastmatchUser'\nlatency_histogram = 'h'\n\n"


def test_the_reference_profile_declares_twenty_thousand_users_with_a_think_time_and_mix() -> None:
    traffic = profiles.reference().value("load", Load)
    model = traffic.model
    assert model is not None
    assert (traffic.user, model.users) == ("CastmatchUser", 20_000)
    assert model.run_time_s == model.ramp_s + model.warmup_s + model.hold_s
    assert model.describe().startswith("20,000 users arriving over")
    assert "deployment.toml:" in model.source
    assert model.source.endswith("[deployment.load.model]")


@pytest.mark.parametrize(("think", "mean"), [(load.ThinkTime("uniform", 20, 40), 30.0),
                                             (load.ThinkTime("constant", 2, 2), 2.0),
                                             (load.ThinkTime("exponential", 30, 1e9), 30.0)])
def test_think_time_round_trips_and_draws_within_its_bounds(think: load.ThinkTime, mean: float) -> None:
    assert load.ThinkTime.parse(think.encode()) == think
    assert think.mean == pytest.approx(mean)
    rng = random.Random(7)
    draws = [think.draw(rng) for _ in range(2000)]
    assert min(draws) >= think.low if think.distribution != "exponential" else min(draws) >= 0
    assert max(draws) <= think.high
    assert sum(draws) / len(draws) == pytest.approx(mean, rel=0.1)


def test_offered_rate_counts_every_request_of_an_action_and_the_sign_ins() -> None:
    model = load.UserModel(users=20_000, ramp_s=40, hold_s=60, think=load.ThinkTime.uniform(20, 40),
                           sign_ins_per_s=2, mix=(("search", 6), ("profile", 3), ("recommendations", 2),
                                                  ("booking", 1)), requests=(("booking", 2),))
    # 20,000 users act every 30 s on average; a booking is two requests (open the role, book).
    assert model.offered_rps == pytest.approx(20_000 / 30 * 13 / 12 + 2)
    assert model.spawn_rate == 500
    assert model.locust_args()[:6] == ["-u", "20000", "-r", "500", "--run-time", "100s"]


@pytest.mark.parametrize(("text", "message"), [
    ("search=1,Browse!=2", "an action is named like a method"),
    ("search=0", "weight 0"),
])
def test_a_bad_mix_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        usermodel.parse_mix(text)


MODEL = """[deployment.load.model]
users = 500
ramp_seconds = 5
warmup_seconds = 2
hold_seconds = 20
think = { distribution = "exponential", mean = 3, max = 30 }
sign_ins_per_second = 0.5
mix = { search = 2, booking = 1 }
requests_per_action = { booking = 2 }
connections = 8
"""


def test_the_model_is_read_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "staging.toml"
    path.write_text(PROFILE + MODEL)
    traffic = profiles.load(path).value("load", Load)
    assert traffic.model == load.UserModel(users=500, ramp_s=5, warmup_s=2, hold_s=20,
                                           think=load.ThinkTime("exponential", 3, 30), sign_ins_per_s=0.5,
                                           mix=(("search", 2), ("booking", 1)), connections=8,
                                           requests=(("booking", 2),))
    assert traffic.model.source == f"{path}:8 [deployment.load.model]"
    assert traffic.latency_histogram == "h"


def test_the_saturation_rule_is_the_gates_files_and_the_model_is_not(tmp_path: Path) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(BASE + "[load.saturation]\ncpu_percent = 80\nshare_percent = 5\n")
    assert load_gates(path).load_saturation == load.Saturation(cpu_percent=80, share=0.05, heartbeat_s=3)
    path.write_text(BASE + MODEL.replace("[deployment.load.model]", "[load.model]"))
    with pytest.raises(ConfigError, match=r"\[load\] model: belongs to the deployment profile now — write it as "
                                          r"\[deployment.load\] model"):
        load_gates(path)


@pytest.mark.parametrize(("change", "message"), [
    (("booking = 1 }", "booking = 0 }"), r":\d+: \[deployment.load.model.mix\] booking: expected a whole number"),
    (("{ booking = 2 }", "{ profile = 2 }"), r"\[deployment.load.model.requests_per_action\] profile: not an action "
                                             r"of the mix"),
    (("hold_seconds = 20\n", ""), r":8: \[deployment.load.model\] hold_seconds: missing — add hold_seconds"),
    (("mean = 3, max = 30", "mean = 3, max = 1"), r"\[deployment.load.model.think\] max: 1 s is below mean = 3 s"),
    (("users = 500", "users = 0"), r"\[deployment.load.model\] users: expected at least 1 user"),
    (("connections = 8", "connections = -1"), r"\[deployment.load.model\] connections: expected a whole number "
                                              r"of at least 0"),
    (('"exponential"', '"normal"'), r"\[deployment.load.model.think\] distribution: unknown distribution 'normal'"),
])
def test_model_errors_name_the_file_line_and_fix(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "staging.toml"
    path.write_text(PROFILE + MODEL.replace(*change))
    with pytest.raises(ConfigError, match=message):
        profiles.load(path)


def _window(t: float, users: int, cpu: dict[str, float], ages: dict[str, float]) -> load.Window:
    ok = load.Tally(requests=10, failures=0, histogram={5: 10})
    return load.Window(t=t, users=users, endpoints={"/x": ok}, generator={"cpu": cpu, "heartbeat_age": ages})


def _result(windows: list[load.Window], hold_s: float = 8) -> load.LoadResult:
    model = load.UserModel(users=100, ramp_s=1, warmup_s=1, hold_s=hold_s, think=load.ThinkTime.uniform(1, 2))
    return load.LoadResult(model=model, bucket_s=1.0, summary=[], windows=windows, errors=[], workers_connected=1,
                           duration_s=10, out_dir=Path("."))


def test_a_generator_above_its_cpu_limit_for_too_much_of_the_hold_is_saturated() -> None:
    rule = load.Saturation(cpu_percent=90, share=0.10, heartbeat_s=3)
    calm = [_window(t, 100, {"master": 5, "worker-0": 60}, {"worker-0": 0.5}) for t in range(12)]
    assert _result(calm).saturated(rule) == ""
    # One busy second in the eleven of the hold is within the share allowed; two are not.
    one = [*calm[:5], _window(5, 100, {"master": 5, "worker-0": 97}, {"worker-0": 0.5}), *calm[6:]]
    assert _result(one).saturated(rule) == ""
    two = [*one[:6], _window(6, 100, {"master": 5, "worker-0": 99}, {"worker-0": 0.5}), *one[7:]]
    assert _result(two).saturated(rule) == ("generator saturated: worker-0 above 90 % of a core in 2 of 11 "
                                            "seconds of the hold (allowed: 10%)")


def test_a_worker_whose_heartbeat_stopped_or_that_vanished_makes_the_run_saturated() -> None:
    rule = load.Saturation()
    windows = [_window(t, 100, {"master": 5, "worker-0": 50, "worker-1": 50}, {"worker-0": 0.4, "worker-1": 0.6})
               for t in range(10)]
    windows[4] = _window(4, 100, {"master": 5, "worker-0": 50, "worker-1": 50}, {"worker-0": 0.4, "worker-1": 4.5})
    assert "worker-1 sent no heartbeat for 4.5 s (allowed: 3 s)" in _result(windows).saturated(rule)
    windows[4] = windows[3]
    windows[9] = _window(9, 100, {"master": 5, "worker-0": 50}, {"worker-0": 0.4})
    assert "lost during the hold: worker-1" in _result(windows).saturated(rule)


def test_no_generator_readings_and_a_short_hold_are_no_measurement() -> None:
    silent = [load.Window(t=t, users=100, endpoints={}) for t in range(10)]
    assert _result(silent).saturated(load.Saturation()).startswith("generator not sampled")
    calm = [_window(t, 100, {"master": 5}, {}) for t in range(10)]
    assert _result(calm, hold_s=8).short_hold() == ""
    assert _result(calm, hold_s=30).short_hold().startswith("the 100 users were held 9 s of the declared 30 s")


HISTOGRAM = """# HELP h latency
# TYPE h histogram
h_bucket{route="/a",le="0.1"} {a1}
h_bucket{route="/a",le="0.2"} {a2}
h_bucket{route="/a",le="+Inf"} {a2}
h_count{route="/a"} {a2}
h_sum{route="/a"} 1.0
h_bucket{route="/metrics",le="0.1"} {m}
h_bucket{route="/metrics",le="0.2"} {m}
h_bucket{route="/metrics",le="+Inf"} {m}
h_count{route="/metrics"} {m}
h_sum{route="/metrics"} 1.0
"""


def test_histogram_quantile_interpolates_like_prometheus() -> None:
    buckets = {0.1: 50.0, 0.2: 100.0, float("inf"): 100.0}
    assert ops.histogram_quantile(buckets, 0.5) == pytest.approx(0.1)
    assert ops.histogram_quantile(buckets, 0.99) == pytest.approx(0.198)
    assert ops.histogram_quantile({0.1: 0.0, float("inf"): 4.0}, 0.99) == 0.1  # the +Inf bucket: the last bound
    assert ops.histogram_quantile({0.1: 0.0, float("inf"): 0.0}, 0.99) is None


def test_the_server_view_is_the_hold_between_two_scrapes_without_the_scrapes_themselves() -> None:
    windows = [_window(t, 100, {"master": 5}, {}) for t in range(10)]
    result = _result(windows)
    result.started = 1000.0

    def text(a1: int, a2: int, m: int) -> str:
        return HISTOGRAM.replace("{a1}", str(a1)).replace("{a2}", str(a2)).replace("{m}", str(m))

    result.scrapes = [load.Scrape(1000.5, text(5, 5, 1)),  # before the hold (the warm-up)
                      load.Scrape(1002.5, text(10, 10, 2)),
                      load.Scrape(1009.5, text(60, 110, 9))]
    server = loadreport.server_latency(result, "h", skip_route="/metrics")
    assert server.missing == ""
    assert set(server.routes) == {"/a"}
    assert server.total[0] == 100
    assert server.total[3] == pytest.approx(198.0)
    assert server.seconds == 7.0
    result.scrapes = result.scrapes[:2]
    assert "fewer than two reads" in loadreport.server_latency(result, "h").missing
    assert "no latency histogram declared" in loadreport.server_latency(result, "").missing


def test_settings_override_single_fields_and_the_model_names_each_override() -> None:
    model = load.UserModel(users=20_000, ramp_s=40, hold_s=60, think=load.ThinkTime.uniform(20, 40),
                           source="deployment.toml:131 [deployment.load.model]")
    env = settings.env_layer({"CASTMATCH_LOAD_USERS": "50", "CASTMATCH_LOAD_THINK": "0.4,0.9"}, Path("/"))
    resolved = settings.resolve([settings.option_layer({}, ["load_hold=25"], Path("/")), env], Path("/"))
    changed = loadplan.with_overrides(model, resolved)
    assert (changed.users, changed.ramp_s, changed.hold_s) == (50, 40, 25)
    assert changed.think == load.ThinkTime.uniform(0.4, 0.9)
    assert changed.source == ("deployment.toml:131 [deployment.load.model], overridden by CASTMATCH_LOAD_USERS=50; "
                              "load_hold=25 (option); CASTMATCH_LOAD_THINK=0.4,0.9")
    assert loadplan.with_overrides(model, settings.resolve([], Path("/"))) is model
    pooled = settings.resolve([settings.env_layer({"CASTMATCH_LOAD_CONNECTIONS": "3"}, Path("/"))], Path("/"))
    assert loadplan.with_overrides(model, pooled).connections == 3


def test_a_profile_without_a_user_model_names_the_table_to_write(tmp_path: Path) -> None:
    path = tmp_path / "staging.toml"
    path.write_text(PROFILE)
    with pytest.raises(DeploymentError, match=r"staging.toml:\d+: the deployment profile declares no user model — add "
                                              r"\[deployment.load.model\]"):
        loadplan.declared_model(profiles.load(path))
