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
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function fmt(v) { return v === null || v === undefined ? "-" : v.toFixed(3); }
  function table(title, header, rows) {
    var box = el("div");
    box.appendChild(el("h4", title));
    var t = el("table"), head = el("tr");
    t.className = "samples";
    header.forEach(function (h) { head.appendChild(el("th", h)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (r) {
      var tr = body.appendChild(el("tr"));
      r.forEach(function (c) {
      var td = tr.appendChild(el("td"));
      if (typeof c === "string") { td.textContent = c; } else { td.appendChild(c); }
    });
    });
    box.appendChild(t);
    return box;
  }
  function said(cell) {
    if (!cell) { return "-"; }
    return cell[3] ? "error: " + cell[3] : (cell[1] === null ? "" : cell[1]);
  }
  document.querySelectorAll(".browser").forEach(function (box) {
    var data = JSON.parse(box.querySelector(".sb-data").textContent);
    var selA = box.querySelector("select.sb-a"), selB = box.querySelector("select.sb-b");
    var out = box.querySelector(".sb-out");
    var cells = data.models.map(function (m) {
      var byIndex = {};
      m.cells.forEach(function (c) { byIndex[c[0]] = c; });
      return byIndex;
    });
    function sample(i) { return data.samples[i]; }
    function refs(i) { return sample(i).references.join(" | "); }
    function input(i) {
      var s = sample(i);
      if (!s.image && !s.audio) { return s.input || ""; }
      var span = el("span");
      if (s.image) { var img = span.appendChild(el("img")); img.src = s.image; img.alt = s.id; }
      if (s.audio) {
        var player = span.appendChild(el("audio"));
        player.controls = true;
        player.src = s.audio;
      }
      if (s.input) { span.appendChild(el("div", s.input)); }
      return span;
    }
    function render() {
      var a = Number(selA.value), b = Number(selB.value), ma = data.models[a], mb = data.models[b];
      out.textContent = "";
      var head = ["id", "input", "prediction", "references", data.key];
      [["worst samples of ", ma.worst], ["best samples of ", ma.best]].forEach(function (p) {
        out.appendChild(table(p[0] + ma.model, head, p[1].map(function (i) {
          var c = cells[a][i];
          return [sample(i).id, input(i), said(c), refs(i), fmt(c && c[2])];
        })));
      });
      if (a === b) { return; }
      var pairs = data.contested.filter(function (i) {
        return cells[a][i] && cells[b][i] && cells[a][i][2] !== cells[b][i][2];
      }).map(function (i) { return [Math.abs(cells[a][i][2] - cells[b][i][2]), i]; });
      pairs.sort(function (x, y) { return y[0] - x[0] || x[1] - y[1]; });
      var rows = pairs.slice(0, data.n_disagree).map(function (p) {
        var i = p[1], ca = cells[a][i], cb = cells[b][i];
        return [sample(i).id, input(i), said(ca) + " (" + fmt(ca[2]) + ")",
                said(cb) + " (" + fmt(cb[2]) + ")", refs(i)];
      });
      var title = "where " + ma.model + " and " + mb.model + " disagree most";
      var t = table(title, ["id", "input", ma.model, mb.model, "references"], rows);
      t.className = "sb-disagree";
      if (!rows.length) { t.appendChild(el("p", "no difference on the embedded samples")); }
      out.appendChild(t);
    }
    selA.addEventListener("change", render);
    selB.addEventListener("change", render);
    render();
  });
})();
