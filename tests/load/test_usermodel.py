"""The declared user model, its parsing from gates.toml, and the rules that make a run no measurement."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pytest_castmatch.checks import ops
from pytest_castmatch.config import ConfigError, load_gates
from pytest_castmatch.runners import loadreport, usermodel
from pytest_castmatch.runners import locust as load

ROOT = Path(__file__).resolve().parents[2]
BASE = "schema = 1\n[owners.devops]\ntitle = 'DevOps'\n\n"


def test_the_shipped_model_is_twenty_thousand_users_with_a_declared_think_time_and_mix() -> None:
    model = load_gates(ROOT / "baselines" / "gates.toml").load.model
    assert model is not None
    assert model.users == 20_000
    assert model.run_time_s == model.ramp_s + model.warmup_s + model.hold_s
    assert model.describe().startswith("20,000 users arriving over")
    assert "gates.toml:" in model.source


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
                                                  ("booking", 1)))
    # 20,000 users act every 30 s on average; a booking is two requests (open the role, book).
    assert model.offered_rps == pytest.approx(20_000 / 30 * 13 / 12 + 2)
    assert model.spawn_rate == 500
    assert model.locust_args()[:6] == ["-u", "20000", "-r", "500", "--run-time", "100s"]


@pytest.mark.parametrize(("text", "message"), [
    ("search=1,browse=2", "unknown action 'browse'"),
    ("search=0", "weight 0"),
    ("", "the action mix is empty"),
])
def test_a_bad_mix_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        usermodel.parse_mix(text)


MODEL = """[load.model]
users = 500
ramp_seconds = 5
warmup_seconds = 2
hold_seconds = 20
think = { distribution = "exponential", mean = 3, max = 30 }
sign_ins_per_second = 0.5
mix = { search = 2, booking = 1 }
connections = 8
"""


def test_the_model_is_read_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(BASE + "[load]\nmetrics_path = '/metrics'\nlatency_histogram = 'h'\n\n" + MODEL
                    + "[load.saturation]\ncpu_percent = 80\nshare_percent = 5\n")
    config = load_gates(path).load
    assert config.model == load.UserModel(users=500, ramp_s=5, warmup_s=2, hold_s=20,
                                          think=load.ThinkTime("exponential", 3, 30), sign_ins_per_s=0.5,
                                          mix=(("search", 2), ("booking", 1)), connections=8)
    assert config.model.source == f"{path}:9 [load.model]"
    assert config.saturation == load.Saturation(cpu_percent=80, share=0.05, heartbeat_s=3)
    assert (config.metrics_path, config.latency_histogram) == ("/metrics", "h")


@pytest.mark.parametrize(("change", "message"), [
    (("mix = { search = 2, booking = 1 }", "mix = { serch = 2 }"), r":\d+: \[load.model.mix\] serch: unknown action "
                                                                  r"— did you mean 'search'\?"),
    (("hold_seconds = 20\n", ""), r":5: \[load.model\] hold_seconds: missing — add hold_seconds"),
    (("mean = 3, max = 30", "mean = 3, max = 1"), r"\[load.model.think\] max: 1 s is below mean = 3 s"),
    (("users = 500", "users = 0"), r"\[load.model\] users: expected at least 1 user"),
    (("connections = 8", "connections = -1"), r"\[load.model\] connections: expected a whole number of at least 0"),
    (('"exponential"', '"normal"'), r"\[load.model.think\] distribution: unknown distribution 'normal'"),
])
def test_model_errors_name_the_file_line_and_fix(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(BASE + MODEL.replace(*change))
    with pytest.raises(ConfigError, match=message):
        load_gates(path)


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
