document.querySelectorAll("figure img").forEach(function (img) {
  img.addEventListener("click", function () { img.parentNode.classList.toggle("zoom"); });
});
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var key = function (r) { return (r.cells[col] || {textContent: ""}).textContent.trim(); };
      var num = rows.every(function (r) { var k = key(r); return k === "" || k === "n/a" ||
        !isNaN(parseFloat(k)); });
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (num) { x = parseFloat(x); y = parseFloat(y);
          if (isNaN(x)) x = -Infinity; if (isNaN(y)) y = -Infinity; }
        var c = num ? x - y : x.localeCompare(y, undefined, {numeric: true});
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
