// Featured-talent carousel: auto-advances every 6 s unless paused, focused, hovered or reduced motion.
(() => {
  "use strict";
  const root = document.querySelector("[data-carousel]");
  if (!root) return;
  const track = root.querySelector(".carousel-track");
  const slides = Array.from(track.children);
  const pause = root.querySelector("[data-carousel-pause]");
  const count = root.querySelector("[data-carousel-count]");
  const viewport = root.querySelector(".carousel-viewport");
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)");
  const INTERVAL = 6000;
  let index = 0;
  let playing = !reduce.matches;
  let hold = false;
  let timer = 0;

  function show(i) {
    index = (i + slides.length) % slides.length;
    const sign = getComputedStyle(root).direction === "rtl" ? 1 : -1;
    track.style.transform = `translateX(${sign * index * 100}%)`;
    slides.forEach((slide, n) => {
      const current = n === index;
      slide.setAttribute("aria-hidden", current ? "false" : "true");
      slide.inert = !current;
    });
    if (count) count.textContent = count.dataset.template.replace("{n}", index + 1).replace("{total}", slides.length);
  }
  function schedule() {
    window.clearTimeout(timer);
    if (playing && !hold) timer = window.setTimeout(() => { show(index + 1); schedule(); }, INTERVAL);
  }
  function render() {
    pause.textContent = playing ? pause.dataset.labelPause : pause.dataset.labelPlay;
    pause.setAttribute("aria-pressed", playing ? "false" : "true");
    viewport.setAttribute("aria-live", playing ? "off" : "polite");
  }
  function togglePlay() {
    playing = !playing;
    render();
    schedule();
  }
  pause.addEventListener("click", togglePlay);
  root.querySelector("[data-carousel-prev]").addEventListener("click", () => { show(index - 1); schedule(); });
  root.querySelector("[data-carousel-next]").addEventListener("click", () => { show(index + 1); schedule(); });
  // WCAG 2.2.2: rotation stops while the user is reading or operating the carousel.
  root.addEventListener("focusin", () => { hold = true; schedule(); });
  root.addEventListener("focusout", () => { hold = false; schedule(); });
  root.addEventListener("mouseenter", () => { hold = true; schedule(); });
  root.addEventListener("mouseleave", () => { hold = false; schedule(); });
  reduce.addEventListener("change", () => { if (reduce.matches && playing) togglePlay(); });
  root.dataset.enhanced = "true";
  show(0);
  render();
  schedule();
})();
