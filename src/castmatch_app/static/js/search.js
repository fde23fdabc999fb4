// Talent search: results update in place, and every filter lives in the URL (deep links, Back).
(() => {
  "use strict";
  const form = document.querySelector("[data-search-form]");
  const results = document.getElementById("results");
  if (!form || !results) return;
  const announce = (m) => window.castmatch && window.castmatch.announce(m);

  function syncForm(url) {
    const params = new URL(url).searchParams;
    Array.from(form.elements).forEach((el) => { if (el.name) el.value = params.get(el.name) || ""; });
  }
  async function load(url, push) {
    results.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(String(response.status));
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("results");
      if (!fresh) throw new Error("no results");
      results.replaceChildren(...fresh.childNodes);
      if (push) history.pushState(null, "", url);
      document.title = page.title;
      const summary = results.querySelector("[data-summary]");
      announce(summary ? summary.textContent.trim() : "");
    } catch (error) {
      window.location.assign(url);
    } finally {
      results.removeAttribute("aria-busy");
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    new FormData(form).forEach((value, key) => { if (value) params.set(key, value); });
    const url = new URL(form.action);
    url.search = params.toString();
    load(url.href, true);
  });
  results.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-page-link]");
    if (!link) return;
    event.preventDefault();
    load(link.href, true).then(() => results.querySelector("[data-summary]").focus());
  });
  window.addEventListener("popstate", () => { syncForm(window.location.href); load(window.location.href, false); });
})();
