// Keyboard navigation of a list ("j"/"k" move, Enter opens): analysts work the queue without the mouse.
(function () {
  "use strict";
  var table = document.querySelector("[data-keyboard-list]");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
  var current = -1;
  function select(index) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
    var link = rows[current].querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) { return; }
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if (event.key === "Enter" && current >= 0) { window.location.href = rows[current].getAttribute("data-href"); }
  });
}());
