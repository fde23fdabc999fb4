(function () {
  "use strict";
  var form = document.getElementById("gate-filters");
  var table = document.getElementById("gate-table");
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var count = document.getElementById("gate-count");
  var fields = Array.prototype.slice.call(form.querySelectorAll("[data-filter]"));
  function apply() {
    var want = {};
    fields.forEach(function (field) { want[field.getAttribute("data-filter")] = field.value.trim().toLowerCase(); });
    var shown = 0;
    rows.forEach(function (row) {
      var keep = ["outcome", "owner", "priority"].every(function (key) {
        return !want[key] || row.getAttribute("data-" + key) === want[key];
      }) && (!want.text || row.textContent.toLowerCase().indexOf(want.text) !== -1);
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " gates shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
}());
