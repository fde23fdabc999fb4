// Profile page: add to shortlist without a reload; the plain form still works without JS.
(() => {
  "use strict";
  const form = document.querySelector("[data-shortlist-form]");
  if (!form) return;
  const button = form.querySelector("button");
  const announce = (m) => window.castmatch && window.castmatch.announce(m);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      button.textContent = form.dataset.done;
      announce(data.message);
    } catch (error) {
      button.disabled = false;
      announce(form.dataset.failed);
    }
  });
})();
