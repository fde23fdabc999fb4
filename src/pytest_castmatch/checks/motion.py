"""Motion: reduced motion honoured (WCAG 2.3.3), pause for long or auto-advancing content (2.2.2),
and durations within the motion tokens.

Animations are read from ``document.getAnimations()`` (running now) and from computed styles (what
would run on the next state change: transitions only exist once triggered). Auto-advancing content
is found by fast-forwarding the page's clock (``page.clock``, installed before the page loads) and
comparing the DOM before and after; its pause control is then pressed and the clock run again.
"""

# ruff: noqa: E501 - the page scripts below are JavaScript, kept readable on long lines

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from playwright.sync_api import Page

from pytest_castmatch.checks import navigation
from pytest_castmatch.checks.evidence import SELECTOR_JS, Evidence, page_path, shoot
from pytest_castmatch.model import Finding, Severity

#: Longest animation or transition tolerated under ``prefers-reduced-motion: reduce``.
REDUCED_MAX_MS = 100.0
#: WCAG 2.2.2: moving content that lasts longer than this needs a pause, stop or hide control.
PAUSE_AFTER_MS = 5000.0
#: How far the clock is run to see auto-advancing content move (longer than common 5-8 s rotations).
WATCH_MS = 12000

_DURATIONS = SELECTOR_JS + r"""
() => {
  const ms = (v) => v.split(',').map((x) => x.trim().endsWith('ms') ? parseFloat(x) : parseFloat(x) * 1000);
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    if (cs.display === 'none') continue;
    const props = cs.transitionProperty.split(',').map((x) => x.trim());
    ms(cs.transitionDuration).forEach((d, i) => {
      const prop = props[i % props.length];
      if (d > 0 && prop !== 'none') out.push({kind: 'transition', name: prop, ms: d, selector: window.__cmSelector(el)});
    });
    if (cs.animationName !== 'none') {
      const names = cs.animationName.split(',').map((x) => x.trim());
      const counts = cs.animationIterationCount.split(',').map((x) => x.trim());
      ms(cs.animationDuration).forEach((d, i) => {
        const n = counts[i % counts.length];
        const total = n === 'infinite' ? Infinity : d * parseFloat(n);
        if (d > 0 && names[i % names.length] !== 'none')
          out.push({kind: 'animation', name: names[i % names.length], ms: d, total: total === Infinity ? -1 : total,
                    selector: window.__cmSelector(el)});
      });
    }
    if (el === document.documentElement && cs.scrollBehavior === 'smooth')
      out.push({kind: 'scroll-behavior', name: 'smooth', ms: 1, selector: 'html'});
  }
  for (const a of document.getAnimations()) {
    if (a.playState !== 'running') continue;
    const t = a.effect ? a.effect.getComputedTiming() : {};
    const total = t.activeDuration === Infinity ? -1 : (t.activeDuration || 0);
    const target = a.effect && a.effect.target;
    out.push({kind: 'running', name: a.animationName || a.transitionProperty || a.id || a.constructor.name,
              ms: Number(t.duration) || 0, total, selector: target ? window.__cmSelector(target) : ''});
  }
  return out;
}
"""

# A fingerprint of everything a script could change to move content along: text, inline styles,
# classes, hidden/aria-hidden/inert states and scroll offsets. Computed values are left out on
# purpose: a CSS transition still finishing in real time must not read as "still advancing".
_SNAPSHOT = SELECTOR_JS + r"""
() => {
  const out = {};
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('script,style,noscript,template')) continue;
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    const v = [own, el.getAttribute('style') || '', el.className && el.className.baseVal === undefined ? el.className : '',
               el.hidden, el.getAttribute('aria-hidden') || '', el.inert, el.scrollLeft, el.scrollTop].join('|');
    if (v !== '|||false||false|0|0') out[window.__cmSelector(el)] = v;
  }
  return out;
}
"""

# The pause control of what moved: a visible control named to pause, stop, hide or freeze it, or
# to set how often it changes, in the region that moved (widened a few levels to reach controls
# beside it, such as a carousel's buttons). A visible control that opens such controls ("Control
# changes", "Settings") is named in ``opens``; the caller presses it and looks again.
_PAUSE_CONTROL = SELECTOR_JS + r"""
(selectors) => {
  const words = /\b(pause|stop|hold|freeze|hide)\b|रोक|روک/i;
  const rate = /\b(frequency|speed|interval|slower|rate)\b/i;
  const opener = /\b(controls?|settings|options)\b/i;
  const nameOf = (el) => (el.getAttribute('aria-label') || el.textContent || el.value || el.title || '').trim();
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility === 'visible'; };
  const changed = selectors.map((s) => document.querySelector(s)).filter(Boolean);
  if (!changed.length) return null;
  // Content alone on the page is not presented in parallel with other content (2.2.2 does not apply).
  const all = (document.body.innerText || '').replace(/\s+/g, ' ').trim();
  if (changed.every((c) => (c.innerText || c.textContent || '').replace(/\s+/g, ' ').trim() === all)) return {alone: true};
  let region = changed[0];
  while (region && !changed.every((c) => region.contains(c))) region = region.parentElement;
  const found = {control: null, name: '', rate: false, opens: null, region: window.__cmSelector(changed[0].parentElement || changed[0])};
  for (let up = 0; region && up < 4; up++, region = region.parentElement) {
    const controls = Array.from(region.querySelectorAll('button, [role=button], input[type=button], input[type=checkbox], a[href]')).filter(shown);
    const match = controls.find((c) => words.test(nameOf(c)) || (c.hasAttribute('aria-pressed') && /pause|play|stop/i.test(
      Object.values(c.dataset).join(' ') + ' ' + c.className)));
    if (match) return Object.assign(found, {control: window.__cmSelector(match), name: nameOf(match), region: window.__cmSelector(region)});
    const slower = controls.find((c) => rate.test(nameOf(c)));
    if (slower) return Object.assign(found, {control: window.__cmSelector(slower), name: nameOf(slower), rate: true, region: window.__cmSelector(region)});
    const opens = controls.find((c) => opener.test(nameOf(c)));
    if (opens && !found.opens) found.opens = window.__cmSelector(opens);
  }
  return found;
}
"""


def durations(page: Page) -> list[dict[str, Any]]:
    """Every transition and animation the page declares or runs now (ms; ``total`` -1 = infinite)."""
    return list(page.evaluate(_DURATIONS))


def reduced(page: Page, *, evidence: Evidence | None = None, limit_ms: float = REDUCED_MAX_MS,
            watch_ms: int = WATCH_MS) -> list[Finding]:
    """Under ``prefers-reduced-motion: reduce`` nothing animates, transitions or auto-advances.

    The page must have been opened with reduced motion emulated and ``page.clock`` installed
    (see :func:`open_for_motion`).
    """
    path = page_path(page)
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for d in durations(page):
        longest = max(float(d["ms"]), float(d.get("total", 0)) if float(d.get("total", 0)) >= 0 else float("inf"))
        key = (str(d["kind"]), str(d["name"]), str(d["selector"]))
        if longest <= limit_ms or key in seen:
            continue
        seen.add(key)
        shown = "infinite" if longest == float("inf") else f"{longest:g} ms"
        out.append(Finding(
            rule="reduced-motion", criterion="WCAG 2.3.3", page=path, selector=str(d["selector"]),
            message=f"{d['kind']} {d['name']!r} lasts {shown} with prefers-reduced-motion: reduce "
                    f"(allowed {limit_ms:g} ms)",
            context="reduced-motion=reduce", evidence=shoot(evidence, page, str(d["selector"]), f"reduced-{path}"),
        ))
    moved = _advance(page, watch_ms)
    if moved:
        out.append(Finding(
            rule="reduced-motion-autoplay", criterion="WCAG 2.3.3", page=path, selector=moved[0],
            message=f"content advances on its own with prefers-reduced-motion: reduce ({len(moved)} element(s) "
                    f"changed in {watch_ms / 1000:g} s)",
            context="reduced-motion=reduce", evidence=shoot(evidence, page, moved[0], f"autoplay-{path}"),
        ))
    return out


def _advance(page: Page, watch_ms: int) -> list[str]:
    before: dict[str, str] = page.evaluate(_SNAPSHOT)
    page.clock.run_for(watch_ms)
    after: dict[str, str] = page.evaluate(_SNAPSHOT)
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _still_moving(page: Page, watch_ms: int) -> list[str]:
    # What a user still sees changing: hidden content does not move for anyone.
    moved = _advance(page, watch_ms)
    moved = list(page.evaluate("(sels) => sels.filter((s) => { const el = document.querySelector(s); if (!el) return false; "
                               "const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && "
                               "getComputedStyle(el).visibility === 'visible'; })", moved))
    return moved + [str(d["selector"]) for d in durations(page) if d["kind"] == "running"
                    and (float(d.get("total", 0)) < 0 or float(d.get("total", 0)) > PAUSE_AFTER_MS)]


def pause_control(page: Page, *, evidence: Evidence | None = None, watch_ms: int = WATCH_MS) -> list[Finding]:
    """WCAG 2.2.2: auto-advancing content and animations over 5 s have a pause control that works.

    The page must have been opened without reduced motion and with ``page.clock`` installed. A
    control that only sets how often content changes is a needs-review item: whether it lets a
    user slow the content enough is for a person to judge.
    """
    path = page_path(page)
    out: list[Finding] = []
    moved = _advance(page, watch_ms)
    long_running = [d for d in durations(page) if d["kind"] == "running"
                    and (float(d.get("total", 0)) < 0 or float(d.get("total", 0)) > PAUSE_AFTER_MS)]
    movers = moved + [str(d["selector"]) for d in long_running if d["selector"]]
    if not movers:
        return out
    found: dict[str, Any] | None = page.evaluate(_PAUSE_CONTROL, movers)
    if found and found.get("alone"):
        return out
    if found and not found["control"] and found.get("opens"):
        page.click(str(found["opens"]), timeout=5000)
        found = page.evaluate(_PAUSE_CONTROL, movers)
    region = found["region"] if found else movers[0]
    if not found or not found["control"]:
        return [Finding(rule="pause-control-missing", criterion="WCAG 2.2.2", page=path, selector=region,
                        message="content moves or advances on its own for more than 5 s and has no pause or stop "
                                "control", evidence=shoot(evidence, page, region, f"no-pause-{path}"))]
    control = str(found["control"])
    if found.get("rate"):
        return [Finding(rule="pause-control-rate", criterion="WCAG 2.2.2", severity=Severity.REVIEW, page=path,
                        selector=control, message=f"needs review: {found['name']!r} sets how often the content changes; "
                                                  "check it lets a user slow it enough or stop it")]
    page.click(control, timeout=5000)
    # Move the pointer and focus away: rotation that only stops while hovered or focused is not paused.
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    still = _still_moving(page, watch_ms)
    if still:
        out.append(Finding(
            rule="pause-control-ineffective", criterion="WCAG 2.2.2", page=path, selector=control,
            message=f"pressing {found['name']!r} does not stop the content: {len(still)} element(s) still changed "
                    f"in the next {watch_ms / 1000:g} s",
            evidence=shoot(evidence, page, control, f"pause-{path}"),
        ))
    return out


def within_tokens(page: Page, allowed_ms: Sequence[float], *, evidence: Evidence | None = None) -> list[Finding]:
    """Every transition and animation duration is one of the motion tokens (``allowed_ms``).

    Longer than the longest token blocks; an off-token duration below it is a warning.
    """
    path = page_path(page)
    longest = max(allowed_ms)
    out: list[Finding] = []
    seen: set[tuple[str, str, float]] = set()
    for d in durations(page):
        if d["kind"] not in ("transition", "animation"):
            continue
        ms = float(d["ms"])
        key = (str(d["selector"]), str(d["name"]), ms)
        if key in seen or any(abs(ms - a) < 1 for a in allowed_ms):
            continue
        seen.add(key)
        too_long = ms > longest
        out.append(Finding(
            rule="motion-duration-token", criterion=None, page=path, selector=str(d["selector"]),
            severity="error" if too_long else "warning",
            message=f"{d['kind']} of {d['name']!r} lasts {ms:g} ms; motion tokens allow "
                    f"{', '.join(f'{a:g}' for a in allowed_ms)} ms",
            evidence=shoot(evidence, page, str(d["selector"]), f"duration-{path}") if too_long else (),
        ))
    return out


def open_for_motion(page: Page, url: str, *, reduce: bool) -> list[Finding]:
    """Install a controllable clock, set the motion preference, then load ``url``.

    Returns the page-status finding when the page did not answer as it should (measure nothing then).
    """
    page.clock.install()
    page.emulate_media(reduced_motion="reduce" if reduce else "no-preference")
    return navigation.visit(page, url)
