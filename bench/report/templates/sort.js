// Sortable tables: click a header button to sort the rows by that column; click again to
// reverse. Cells sort by their data-sort attribute (numbers when the whole column is numeric,
// text otherwise); empty keys always go last. The sorted header carries aria-sort.
(function () {
  "use strict";

  function key(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim() : value;
  }

  function sortTable(table, th) {
    var index = th.cellIndex;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var direction = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var keys = rows.map(function (row) { return key(row, index); });
    var numeric = keys.every(function (k) { return k === "" || isFinite(Number(k)); });
    var sign = direction === "ascending" ? 1 : -1;
    var order = rows.map(function (row, i) { return i; });
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      if (x === "" || y === "") return x === y ? a - b : (x === "" ? 1 : -1);
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, undefined, {numeric: true});
      return c !== 0 ? sign * c : a - b;
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", direction);
    order.forEach(function (i) { body.appendChild(rows[i]); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.sort") : null;
    if (!button) return;
    var th = button.closest("th");
    var table = button.closest("table");
    if (th && table) sortTable(table, th);
  });

  // Plots are drawn while the page is parsed; fit each to its final box once it is laid out.
  window.addEventListener("load", function () {
    if (!window.Plotly) return;
    document.querySelectorAll(".plotly-graph-div").forEach(function (div) {
      window.Plotly.Plots.resize(div);
    });
  });
})();
