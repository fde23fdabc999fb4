"""The defect catalogue: deliberate, named breakages that prove each launch gate can fail.

A defect is switched on when the app starts (``--defect NAME`` or ``CASTMATCH_DEFECTS=a,b``) and
checked with ``defects.active("name")`` at the one place that breaks; front-end defects are
patches listed in :mod:`castmatch_app.assets`. Each entry says what breaks, which team owns it
(an owner of ``baselines/gates.toml``) and its priority. Which gate must catch a defect is for the
tests to say (``tests/defects``): the app knows nothing of its tests.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import textwrap
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Defect:
    """One deliberate breakage: its name, what it breaks, the owning team and its priority."""

    name: str
    breaks: str
    owner: str
    priority: str

    def as_json(self) -> dict[str, str]:
        """The entry as ``castmatch-app defects --json`` prints it."""
        return asdict(self)


CATALOGUE: tuple[Defect, ...] = (
    # ai-ml: model validation (P0), A/B testing (P0), inference latency (CSM), fallback (P2)
    Defect("slow-recommendations", "recommendation inference p99 well above 150 ms", "ai-ml", "p0"),
    Defect("degraded-model", "recommendation precision on the labelled set drops", "ai-ml", "p0"),
    Defect("drifted-data", "live feature distribution drifts from the training reference", "ai-ml", "p0"),
    Defect("unbalanced-ab", "A/B assignment is skewed far from 50/50", "ai-ml", "p0"),
    Defect("no-model-fallback", "503 instead of popularity fallback when the model is down", "ai-ml", "p2"),
    # backend-api: stress (P0, CSM API p99), rate limits (P0), circuit breaker (P0), caching (P1)
    Defect("slow-api", "search API p99 above 200 ms under load", "backend-api", "p0"),
    Defect("no-rate-limit", "no 429 / Retry-After however fast a client calls", "backend-api", "p0"),
    Defect("circuit-never-opens", "circuit breaker stays closed while the model fails", "backend-api", "p0"),
    Defect("no-cache", "search results are not cached; throughput collapses under load", "backend-api", "p1"),
    Defect("api-fast-500", "under load every API request answers 500 at once (fast, and failed)", "backend-api",
           "p0"),
    Defect("no-static-cache-headers", "static assets served with Cache-Control: no-store", "backend-api", "p1"),
    Defect("api-v0-no-deprecation", "/api/v0 answers without Deprecation and Sunset headers", "backend-api", "p2"),
    # frontend-ui: Lighthouse (P0, CSM), bundles (P0), PWA (P0), lazy loading / errors (P1), images (P2)
    Defect("render-blocking-script", "a slow synchronous script in <head> blocks rendering", "frontend-ui", "p0"),
    Defect("late-banner-cls", "a late banner pushes content down (layout shift)", "frontend-ui", "p0"),
    Defect("bloated-bundle", "every page ships a large unused JavaScript payload", "frontend-ui", "p0"),
    Defect("sw-no-cache", "service worker does not cache the shell or the offline page", "frontend-ui", "p0"),
    Defect("eager-images", "below-the-fold images are not lazy-loaded", "frontend-ui", "p1"),
    Defect("key-page-404", "the talent sign-up page /join answers 404", "frontend-ui", "p0"),
    Defect("plain-404", "404 is a bare text response without navigation", "frontend-ui", "p1"),
    Defect("huge-image", "profile headshot is a multi-megabyte PNG without dimensions", "frontend-ui", "p2"),
    # devops: zero downtime (P0, CSM uptime), monitoring (P0), load (CSM), recovery and logs (P1)
    Defect("no-graceful-shutdown", "SIGTERM drops in-flight requests", "devops", "p0"),
    Defect("missing-metrics", "request latency series missing from /metrics", "devops", "p0"),
    Defect("crash-under-load", "a fraction of requests fail when concurrency is high", "devops", "p0"),
    Defect("backup-loses-rows", "backup omits the newest audition bookings", "devops", "p1"),
    Defect("no-request-id", "logs and responses carry no request id", "devops", "p1"),
    # integration: endpoint validation and webhooks (P0), tokens and health checks (P1)
    Defect("webhook-double-process", "a redelivered webhook event is applied twice", "integration", "p0"),
    Defect("webhook-out-of-order", "an older webhook event overwrites a newer one", "integration", "p0"),
    Defect("webhook-bad-signature", "webhooks with a wrong HMAC signature are accepted", "integration", "p0"),
    Defect("openapi-drift", "search responses no longer match the OpenAPI schema", "integration", "p0"),
    Defect("token-no-expiry", "access tokens are accepted after they expire", "integration", "p1"),
    Defect("refresh-token-reuse", "a used refresh token still works (no rotation)", "integration", "p1"),
    Defect("readyz-lies", "/readyz says ready while draining", "integration", "p1"),
    # testing-qa: E2E (P0), security (P0, CSM zero critical issues), edge cases (P1)
    Defect("missing-security-header", "Content-Security-Policy header is not sent", "testing-qa", "p0"),
    Defect("reflected-xss", "the search query is echoed unescaped", "testing-qa", "p0"),
    Defect("sql-injection", "the area filter is concatenated into SQL", "testing-qa", "p0"),
    Defect("idor", "a user can read another user's shortlist or booking", "testing-qa", "p0"),
    Defect("stacktrace-500", "the 500 page leaks a Python traceback", "testing-qa", "p0"),
    Defect("broken-shortlist-button", "'Add to shortlist' does nothing when clicked", "testing-qa", "p0"),
    Defect("double-booking", "a talent can be booked twice for the same date and time", "testing-qa", "p0"),
    Defect("edge-case-500", "per_page=0 on search crashes with a 500", "testing-qa", "p1"),
    # visual-systems: design tokens (P0), dark mode contrast and theme switching (P0)
    Defect("literal-colour", "a hard-coded colour that is not a design token", "visual-systems", "p0"),
    Defect("low-contrast-dark", "muted text below 7:1 contrast in dark mode", "visual-systems", "p0"),
    Defect("theme-flash", "the saved theme is applied late (flash of the wrong theme)", "visual-systems", "p0"),
    # typography-content: content audit and microcopy (P0), fonts (P1), localisation (P2)
    Defect("leaked-placeholder", "lorem ipsum / TODO text on the home page", "typography-content", "p0"),
    Defect("click-here-links", "links read 'Click here' instead of saying where they go", "typography-content", "p0"),
    Defect("vague-errors", "error messages do not say what to do", "typography-content", "p0"),
    Defect("font-no-display", "@font-face without font-display", "typography-content", "p1"),
    Defect("missing-hindi-key", "a Hindi translation is missing (English shows through)", "typography-content", "p2"),
    Defect("broken-rtl", "Urdu pages are rendered left-to-right", "typography-content", "p2"),
    # ux-wireframe: journeys and navigation (P0), onboarding and sitemap (P1)
    Defect("lost-filter-on-back", "search filters are lost after Back", "ux-wireframe", "p0"),
    Defect("literal-search", "search matches words only as typed: 'actor' or 'dancer' finds nobody", "ux-wireframe",
           "p0"),
    Defect("onboarding-dead-end", "onboarding step 2 leads to a 404", "ux-wireframe", "p1"),
    Defect("sitemap-missing-page", "sitemap.xml omits the talent search page", "ux-wireframe", "p1"),
    # motion-ui: 60 fps (P0), reduced motion and pause (P0), transition tuning (P1)
    Defect("janky-animation", "long main-thread tasks while the carousel runs", "motion-ui", "p0"),
    Defect("motion-ignores-reduced", "animation ignores prefers-reduced-motion", "motion-ui", "p0"),
    Defect("carousel-no-pause", "carousel auto-advances and its pause control does nothing", "motion-ui", "p0"),
    Defect("slow-transitions", "transitions last far longer than the motion tokens allow", "motion-ui", "p1"),
    # interaction-design: stress (P0), touch targets (P0), feedback (P1)
    Defect("small-targets", "icon buttons shrink to 30 x 30 px", "interaction-design", "p0"),
    Defect("double-submit", "rapid clicks create the booking twice", "interaction-design", "p0"),
    Defect("silent-feedback", "results of actions are not announced in a live region", "interaction-design", "p1"),
    # design-review-qa: WCAG AAA (P0, CSM), keyboard (P0), responsive (P0)
    Defect("keyboard-trap", "Tab cannot leave the search field", "design-review-qa", "p0"),
    Defect("no-focus-outline", "focus is invisible", "design-review-qa", "p0"),
    Defect("reflow-overflow", "horizontal scrolling at 320 CSS px", "design-review-qa", "p0"),
    Defect("missing-h1", "pages have no h1", "design-review-qa", "p0"),
    Defect("bad-landmarks", "header/nav/main/footer landmarks are plain divs", "design-review-qa", "p0"),
    Defect("styled-heading", "the home page's featured section is titled by bold large text, not a heading",
           "design-review-qa", "p0"),
    Defect("select-navigates", "search filters submit the page as soon as an option is chosen", "design-review-qa",
           "p0"),
    Defect("read-more-links", "featured profiles are linked as 'Read more'", "design-review-qa", "p0"),
    Defect("gradient-text-contrast", "the home page's lede is grey text over a gradient, below 7:1",
           "design-review-qa", "p0"),
    Defect("overlapping-text", "a talent card's skills line is drawn over its area line", "design-review-qa", "p0"),
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
        super().__init__(f"unknown defect {name!r}.{hint} Known defects: {', '.join(sorted(NAMES))}")


def suggest(name: str) -> str | None:
    """The catalogued name closest to ``name``, if any is close."""
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
    """The defects named in ``CASTMATCH_DEFECTS``."""
    return parse([os.environ.get(ENV_VAR, "")])


# The process-wide set serves code that runs outside a request (signal handlers, CLI commands);
# the context variable lets several apps with different defects live in one test process.
_process: frozenset[str] = frozenset()
_current: ContextVar[frozenset[str] | None] = ContextVar("castmatch_defects", default=None)


def configure(names: frozenset[str]) -> None:
    """Set the process-wide defects (the CLI does, once, from its flags)."""
    global _process
    _process = names


def current() -> frozenset[str]:
    """The defects in force here: this context's, else the process's."""
    value = _current.get()
    return _process if value is None else value


def active(name: str) -> bool:
    """True when the defect ``name`` is switched on; a name not in the catalogue raises KeyError."""
    if name not in NAMES:
        # A typo in the app's own code must fail loudly rather than silently never break.
        raise KeyError(f"not a catalogued defect: {name}")
    return name in current()


def bind(names: frozenset[str]) -> None:
    """Make ``names`` the active set for the current context (one request, one app)."""
    _current.set(names)


@contextlib.contextmanager
def using(names: frozenset[str]) -> Iterator[None]:
    """``names`` active for the ``with`` block only."""
    token = _current.set(names)
    try:
        yield
    finally:
        _current.reset(token)


def table(width: int | None = None) -> str:
    """The catalogue as a table that fits ``width`` columns (default: the terminal's width).

    The description wraps beside the other columns; on a terminal too narrow for that, it goes on
    indented lines of its own under each row.
    """
    width = width or shutil.get_terminal_size().columns
    header = ("NAME", "OWNER", "PRIORITY")
    rows = [((d.name, d.owner, d.priority), d.breaks) for d in CATALOGUE]
    widths = [max(len(values[i]) for values, _ in [(header, ""), *rows]) for i in range(3)]
    fixed = sum(widths) + 2 * len(widths)
    beside = width - fixed >= 24
    lead = " " * (fixed if beside else 4)
    lines: list[str] = []
    for values, breaks in [(header, "BREAKS"), *rows]:
        text = textwrap.wrap(breaks, width - len(lead), break_on_hyphens=False) or [""]
        columns = "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))
        if beside:
            lines += [columns + "  " + text[0], *(lead + t for t in text[1:])]
        else:
            lines += [columns, *(lead + t for t in text)]
    return "\n".join(line.rstrip() for line in lines)
