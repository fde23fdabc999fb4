// Shared progressive enhancement: theme toggle, announcements, one-shot forms, service worker.
(() => {
  "use strict";
  const doc = document.documentElement;
  const status = document.getElementById("status");
  const announce = (message) => {
    if (!status || !message) return;
    // Clear first so that repeating the same message is announced again.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = message; }, 50);
  };
  window.castmatch = { announce };

  const toggle = document.querySelector("[data-theme-toggle]");
  const systemDark = () => window.matchMedia("(prefers-color-scheme: dark)").matches;
  const theme = () => doc.dataset.theme || (systemDark() ? "dark" : "light");
  const label = () => {
    if (!toggle) return;
    const next = theme() === "dark" ? "light" : "dark";
    toggle.value = next;
    toggle.textContent = next === "dark" ? toggle.dataset.labelDark : toggle.dataset.labelLight;
  };
  const cookieTheme = () => (document.cookie.match(/(?:^|; )theme=(dark|light)/) || [])[1];
  if (toggle) {
    label();
    toggle.addEventListener("click", (event) => {
      event.preventDefault();
      const next = theme() === "dark" ? "light" : "dark";
      doc.dataset.theme = next;
      document.cookie = `theme=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
      label();
      announce(toggle.dataset.changed);
    });
  }
  // The server renders the saved theme; this is only a repair path for cached or stale HTML.
  window.addEventListener("load", () => {
    const saved = cookieTheme();
    if (saved && !doc.dataset.theme) { doc.dataset.theme = saved; label(); }
  });

  // Offline, a submit would end on the browser's error page: keep the form and say what happened.
  document.querySelectorAll("form[data-offline]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (navigator.onLine) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const note = form.querySelector("[data-offline-note]");
      if (note) { note.textContent = form.dataset.offline; note.hidden = false; }
      announce(form.dataset.offline);
    });
  });

  // Move focus to a form's error summary so keyboard and screen-reader users hear what to fix.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  const ONE_SHOT = true;
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!ONE_SHOT) return;
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      form.setAttribute("aria-busy", "true");
      // Disable after this tick so the clicked button's value is still submitted.
      window.setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }), 0);
      announce(form.dataset.sending);
    });
  });

  // A select marked data-submit-on-change submits its form when its option changes (a change of
  // context on input; only the select-navigates defect marks one).
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => { if (select.form) select.form.submit(); });
  });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", () => { navigator.serviceWorker.register("/sw.js").catch(() => {}); });
  }
})();
