"""The defect catalogue: deliberate, named breakages that prove each launch gate can fail.

A defect is fixed when the app starts (``--defect NAME`` or ``CASTMATCH_DEFECTS=a,b``). The code
that breaks checks ``defects.active("name")`` at exactly one place; asset-level defects (CSS/JS)
are listed in :mod:`castmatch_app.assets` as patches. This module is the single source of truth
for names, owners, priorities and the gate folders expected to catch each one.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass

OWNERS: tuple[str, ...] = (
    "ai-ml",
    "backend-api",
    "frontend-ui",
    "devops",
    "integration",
    "testing-qa",
    "visual-systems",
    "typography-content",
    "ux-wireframe",
    "motion-ui",
    "interaction-design",
    "design-review-qa",
)
PRIORITIES: tuple[str, ...] = ("p0", "p1", "p2")
GATE_FOLDERS: tuple[str, ...] = (
    "suites/accessibility",
    "suites/interaction",
    "suites/motion",
    "suites/journeys",
    "suites/performance",
    "suites/load",
    "suites/security",
    "suites/api",
    "suites/ml",
    "suites/content",
    "suites/operations",
)


@dataclass(frozen=True, slots=True)
class Defect:
    name: str
    breaks: str
    owner: str
    priority: str
    gates: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["gates"] = list(self.gates)
        return data


def _d(name: str, breaks: str, owner: str, priority: str, *gates: str) -> Defect:
    return Defect(name, breaks, owner, priority, tuple(f"suites/{g}" for g in gates))


CATALOGUE: tuple[Defect, ...] = (
    # ai-ml: model validation (P0), A/B testing (P0), inference latency (CSM), fallback (P2)
    _d("slow-recommendations", "recommendation inference p99 well above 150 ms", "ai-ml", "p0",
       "ml/test_inference_latency.py"),
    _d("degraded-model", "recommendation precision on the labelled set drops", "ai-ml", "p0",
       "ml/test_model_quality.py::test_precision_and_recall_at_10"),
    _d("drifted-data", "live feature distribution drifts from the training reference", "ai-ml", "p0",
       "ml/test_model_quality.py::test_feature_drift_psi"),
    _d("unbalanced-ab", "A/B assignment is skewed far from 50/50", "ai-ml", "p0",
       "ml/test_model_quality.py::test_ab_assignment_sticky_and_balanced"),
    _d("no-model-fallback", "503 instead of popularity fallback when the model is down", "ai-ml", "p2",
       "ml/test_model_quality.py::test_edge_cases_and_fallback",
       "api/test_faults.py::test_model_down_serves_popular_fallback"),
    # backend-api: stress (P0, CSM API p99), rate limits (P0), circuit breaker (P0), caching (P1)
    _d("slow-api", "search API p99 above 200 ms under load", "backend-api", "p0", "load/test_load.py",
       "load/test_latency_probe.py"),
    _d("no-rate-limit", "no 429 / Retry-After however fast a client calls", "backend-api", "p0",
       "api/test_ratelimit.py"),
    _d("circuit-never-opens", "circuit breaker stays closed while the model fails", "backend-api", "p0",
       "api/test_faults.py::test_circuit_breaker_opens_falls_back_and_recovers"),
    _d("no-cache", "search results are not cached; throughput collapses under load", "backend-api", "p1",
       "load/test_load.py"),
    _d("api-fast-500", "under load every API request answers 500 at once (fast, and failed)", "backend-api", "p0",
       "load/test_load.py", "load/test_latency_probe.py"),
    _d("no-static-cache-headers", "static assets served with Cache-Control: no-store", "backend-api", "p1",
       "performance/test_assets.py::test_static_cache_headers"),
    _d("api-v0-no-deprecation", "/api/v0 answers without Deprecation and Sunset headers", "backend-api", "p2",
       "api/test_contract.py::test_api_v0_announces_deprecation"),
    # frontend-ui: Lighthouse (P0, CSM), bundles (P0), PWA (P0), lazy loading / errors (P1), images (P2)
    _d("render-blocking-script", "a slow synchronous script in <head> blocks rendering", "frontend-ui", "p0",
       "performance/test_assets.py::test_no_render_blocking_resources"),
    _d("late-banner-cls", "a late banner pushes content down (layout shift)", "frontend-ui", "p0",
       "performance/test_vitals.py::test_core_web_vitals[home-mobile-chromium]",
       "performance/test_vitals.py::test_core_web_vitals[home-desktop-chromium]",
       "performance/test_lighthouse.py::test_lighthouse_scores[home]"),
    _d("bloated-bundle", "every page ships a large unused JavaScript payload", "frontend-ui", "p0",
       "performance/test_assets.py::test_js_css_budgets"),
    _d("sw-no-cache", "service worker does not cache the shell or the offline page", "frontend-ui", "p0",
       "journeys/test_pwa.py"),
    _d("eager-images", "below-the-fold images are not lazy-loaded", "frontend-ui", "p1",
       "performance/test_assets.py::test_below_fold_images_lazy"),
    _d("key-page-404", "the talent sign-up page /join answers 404", "frontend-ui", "p0",
       "performance/test_vitals.py::test_core_web_vitals[join-mobile-chromium]",
       "performance/test_vitals.py::test_core_web_vitals[join-desktop-chromium]",
       "performance/test_assets.py::test_js_css_budgets", "motion/test_motion.py"),
    _d("plain-404", "404 is a bare text response without navigation", "frontend-ui", "p1",
       "journeys/test_navigation.py::test_unknown_url_shows_friendly_404"),
    _d("huge-image", "profile headshot is a multi-megabyte PNG without dimensions", "frontend-ui", "p2",
       "performance/test_assets.py::test_modern_images"),
    # devops: zero downtime (P0, CSM uptime), monitoring (P0), load (CSM), recovery and logs (P1)
    _d("no-graceful-shutdown", "SIGTERM drops in-flight requests", "devops", "p0",
       "operations/test_lifecycle.py::test_sigterm_finishes_in_flight_requests", "load/test_zero_downtime.py"),
    _d("missing-metrics", "request latency series missing from /metrics", "devops", "p0",
       "operations/test_observability.py::test_metrics_expose_dashboard_series"),
    _d("crash-under-load", "a fraction of requests fail when concurrency is high", "devops", "p0",
       "load/test_load.py"),
    _d("backup-loses-rows", "backup omits the newest audition bookings", "devops", "p1",
       "operations/test_lifecycle.py::test_backup_restore_round_trip"),
    _d("no-request-id", "logs and responses carry no request id", "devops", "p1",
       "operations/test_observability.py::test_logs_are_json_with_request_ids"),
    # integration: endpoint validation and webhooks (P0), tokens and health checks (P1)
    _d("webhook-double-process", "a redelivered webhook event is applied twice", "integration", "p0",
       "api/test_webhooks.py::test_webhook_redelivery_is_applied_once"),
    _d("webhook-out-of-order", "an older webhook event overwrites a newer one", "integration", "p0",
       "api/test_webhooks.py::test_webhook_out_of_order_events_end_in_the_newest_state"),
    _d("webhook-bad-signature", "webhooks with a wrong HMAC signature are accepted", "integration", "p0",
       "api/test_webhooks.py::test_webhook_rejects_bad_signatures"),
    _d("openapi-drift", "search responses no longer match the OpenAPI schema", "integration", "p0",
       "api/test_contract.py::test_key_responses_match_the_openapi_contract"),
    _d("token-no-expiry", "access tokens are accepted after they expire", "integration", "p1",
       "api/test_faults.py::test_expired_access_tokens_are_refused"),
    _d("refresh-token-reuse", "a used refresh token still works (no rotation)", "integration", "p1",
       "api/test_tokens.py"),
    _d("readyz-lies", "/readyz says ready while draining", "integration", "p1",
       "operations/test_lifecycle.py::test_health_probes_over_start_and_shutdown"),
    # testing-qa: E2E (P0), security (P0, CSM zero critical issues), edge cases (P1)
    _d("missing-security-header", "Content-Security-Policy header is not sent", "testing-qa", "p0",
       "security/test_headers.py"),
    _d("reflected-xss", "the search query is echoed unescaped", "testing-qa", "p0",
       "security/test_probes.py::test_xss_payloads_never_run"),
    _d("sql-injection", "the area filter is concatenated into SQL", "testing-qa", "p0",
       "security/test_probes.py::test_sql_injection_on_search_filters"),
    _d("idor", "a user can read another user's shortlist or booking", "testing-qa", "p0", "security/test_access.py"),
    _d("stacktrace-500", "the 500 page leaks a Python traceback", "testing-qa", "p0",
       "api/test_faults.py::test_error_pages_hide_stack_traces", "journeys/test_errors.py"),
    _d("broken-shortlist-button", "'Add to shortlist' does nothing when clicked", "testing-qa", "p0",
       "journeys/test_casting_director.py"),
    _d("edge-case-500", "per_page=0 on search crashes with a 500", "testing-qa", "p1", "api/test_edge_cases.py",
       "security/test_probes.py::test_hostile_input_is_refused"),
    # visual-systems: design tokens (P0), dark mode contrast and theme switching (P0)
    _d("literal-colour", "a hard-coded colour that is not a design token", "visual-systems", "p0",
       "content/test_design_tokens.py"),
    _d("low-contrast-dark", "muted text below 7:1 contrast in dark mode", "visual-systems", "p0",
       "accessibility/test_axe.py"),
    _d("theme-flash", "the saved theme is applied late (flash of the wrong theme)", "visual-systems", "p0",
       "interaction/test_theme.py"),
    # typography-content: content audit and microcopy (P0), fonts (P1), localisation (P2)
    _d("leaked-placeholder", "lorem ipsum / TODO text on the home page", "typography-content", "p0",
       "content/test_copy.py::test_no_placeholder_text_and_glossary_terms"),
    _d("click-here-links", "links read 'Click here' instead of saying where they go", "typography-content",
       "p0", "content/test_copy.py::test_descriptive_links_buttons_and_labels"),
    _d("vague-errors", "error messages do not say what to do", "typography-content", "p0",
       "content/test_copy.py::test_error_messages_say_what_to_do"),
    _d("font-no-display", "@font-face without font-display", "typography-content", "p1",
       "performance/test_assets.py::test_font_loading"),
    _d("missing-hindi-key", "a Hindi translation is missing (English shows through)", "typography-content",
       "p2", "content/test_localisation.py::test_translations_complete_and_rendered"),
    _d("broken-rtl", "Urdu pages are rendered left-to-right", "typography-content", "p2",
       "content/test_localisation.py::test_right_to_left_languages"),
    # ux-wireframe: journeys and navigation (P0), onboarding and sitemap (P1)
    _d("lost-filter-on-back", "search filters are lost after Back", "ux-wireframe", "p0",
       "journeys/test_navigation.py::test_filters_survive_deep_links_and_back"),
    _d("onboarding-dead-end", "onboarding step 2 leads to a 404", "ux-wireframe", "p1",
       "journeys/test_talent_onboarding.py",
       "content/test_information_architecture.py::test_onboarding_first_time_flow_completes"),
    _d("sitemap-missing-page", "sitemap.xml omits the talent search page", "ux-wireframe", "p1",
       "journeys/test_navigation.py::test_sitemap_matches_navigation",
       "content/test_information_architecture.py::test_sitemap_matches_navigation_and_depth"),
    # motion-ui: 60 fps (P0), reduced motion and pause (P0), transition tuning (P1)
    _d("janky-animation", "long main-thread tasks while the carousel runs", "motion-ui", "p0",
       "performance/test_frames.py::test_carousel_frame_rate"),
    _d("motion-ignores-reduced", "animation ignores prefers-reduced-motion", "motion-ui", "p0",
       "motion/test_motion.py::test_reduced_motion_is_honoured"),
    _d("carousel-no-pause", "carousel auto-advances and its pause control does nothing", "motion-ui", "p0",
       "motion/test_motion.py::test_moving_content_can_be_paused"),
    _d("slow-transitions", "transitions last far longer than the motion tokens allow", "motion-ui", "p1",
       "motion/test_motion.py::test_transitions_within_motion_tokens"),
    # interaction-design: stress (P0), touch targets (P0), feedback (P1)
    _d("small-targets", "icon buttons shrink to 30 x 30 px", "interaction-design", "p0", "interaction/test_targets.py"),
    _d("double-submit", "rapid clicks create the booking twice", "interaction-design", "p0",
       "interaction/test_feedback.py::test_rapid_clicks_submit_once", "journeys/test_forms.py"),
    _d("silent-feedback", "results of actions are not announced in a live region", "interaction-design",
       "p1", "interaction/test_feedback.py::test_feedback_is_announced"),
    # design-review-qa: WCAG AAA (P0, CSM), keyboard (P0), responsive (P0)
    _d("keyboard-trap", "Tab cannot leave the search field", "design-review-qa", "p0",
       "accessibility/test_keyboard.py::test_keyboard_operation"),
    _d("no-focus-outline", "focus is invisible", "design-review-qa", "p0",
       "accessibility/test_keyboard.py::test_focus_appearance"),
    _d("reflow-overflow", "horizontal scrolling at 320 CSS px", "design-review-qa", "p0",
       "accessibility/test_layout.py::test_reflow_at_320px"),
    _d("missing-h1", "pages have no h1", "design-review-qa", "p0",
       "accessibility/test_structure.py::test_landmarks_and_headings"),
    _d("bad-landmarks", "header/nav/main/footer landmarks are plain divs", "design-review-qa", "p0",
       "accessibility/test_structure.py::test_landmarks_and_headings"),
    _d("styled-heading", "the home page's featured section is titled by bold large text, not a heading",
       "design-review-qa", "p0", "accessibility/test_structure.py::test_landmarks_and_headings"),
    _d("select-navigates", "search filters submit the page as soon as an option is chosen", "design-review-qa", "p0",
       "accessibility/test_change_on_input.py"),
    _d("read-more-links", "featured profiles are linked as 'Read more'", "design-review-qa", "p0",
       "accessibility/test_link_purpose.py"),
    _d("gradient-text-contrast", "the home page's lede is grey text over a gradient, below 7:1", "design-review-qa",
       "p0", "accessibility/test_axe.py::test_wcag_aaa_light_and_dark"),
    _d("overlapping-text", "a talent card's skills line is drawn over its area line", "design-review-qa", "p0",
       "accessibility/test_layout.py::test_breakpoints_and_orientation"),
)

BY_NAME: dict[str, Defect] = {d.name: d for d in CATALOGUE}
NAMES: frozenset[str] = frozenset(BY_NAME)

ENV_VAR = "CASTMATCH_DEFECTS"


class UnknownDefectError(ValueError):
    """A defect name that is not in the catalogue; the message names the closest match."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.suggestion = suggest(name)
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(
            f"unknown defect {name!r}.{hint} Known defects: {', '.join(sorted(NAMES))}"
        )


def suggest(name: str) -> str | None:
    matches = difflib.get_close_matches(name, sorted(NAMES), n=1, cutoff=0.5)
    return matches[0] if matches else None


def parse(values: Iterable[str]) -> frozenset[str]:
    """Names from flags and comma-separated env values; raises UnknownDefectError on a typo."""
    names: set[str] = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part not in NAMES:
                raise UnknownDefectError(part)
            names.add(part)
    return frozenset(names)


def from_env() -> frozenset[str]:
    return parse([os.environ.get(ENV_VAR, "")])


# The process-wide set serves code that runs outside a request (signal handlers, CLI commands);
# the context variable lets several apps with different defects live in one test process.
_process: frozenset[str] = frozenset()
_current: ContextVar[frozenset[str] | None] = ContextVar("castmatch_defects", default=None)


def configure(names: frozenset[str]) -> None:
    global _process
    _process = names


def current() -> frozenset[str]:
    value = _current.get()
    return _process if value is None else value


def active(name: str) -> bool:
    if name not in NAMES:
        # A typo in the app's own code must fail loudly rather than silently never break.
        raise KeyError(f"not a catalogued defect: {name}")
    return name in current()


def bind(names: frozenset[str]) -> None:
    """Make ``names`` the active set for the current context (one request, one app)."""
    _current.set(names)


@contextlib.contextmanager
def using(names: frozenset[str]) -> Iterator[None]:
    token = _current.set(names)
    try:
        yield
    finally:
        _current.reset(token)


def table() -> str:
    rows = [("NAME", "OWNER", "PRIORITY", "GATES", "BREAKS")]
    rows += [(d.name, d.owner, d.priority, ",".join(d.gates), d.breaks) for d in CATALOGUE]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(lines)
