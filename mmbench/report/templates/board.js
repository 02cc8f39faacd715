"use strict";
(function () {
  function cellValue(row, index) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent; }
    var num = parseFloat(raw);
    return (raw !== "" && !isNaN(num) && isFinite(raw)) ? num : raw.toLowerCase();
  }
  function sortBy(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable th").forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); }
    });
  });
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  function select(tab) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { select(tab); });
    tab.addEventListener("keydown", function (e) {
      var next = e.key === "ArrowRight" ? 1 : (e.key === "ArrowLeft" ? -1 : 0);
      if (next) { var t = tabs[(i + next + tabs.length) % tabs.length]; select(t); t.focus(); }
    });
  });
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-family]"));
  function filter() {
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute("data-family")] = b.checked; });
    document.querySelectorAll("tr[data-family]").forEach(function (tr) {
      tr.classList.toggle("filtered", on[tr.getAttribute("data-family")] === false);
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", filter); });
  document.querySelectorAll("select.sb-model").forEach(function (sel) {
    function show() {
      sel.closest(".browser").querySelectorAll(".sb").forEach(function (s) {
        s.hidden = s.getAttribute("data-model") !== sel.value;
      });
    }
    sel.addEventListener("change", show);
    show();
  });
})();
