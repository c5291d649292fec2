// The inbox: "select the page", and keyboard shortcuts (j / k move between tickets, x ticks the
// one focused, n opens the next ticket waiting). Shortcuts never fire while typing in a field.
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#tickets .row-select"));
  if (all) all.addEventListener("change", function () { boxes.forEach(function (b) { b.checked = all.checked; }); });
  var links = Array.prototype.slice.call(document.querySelectorAll("#tickets a.ticket-link"));
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey || tag === "input" || tag === "textarea" || tag === "select") return;
    var index = links.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      if (!links.length) return;
      var next = index < 0 ? 0 : Math.max(0, Math.min(links.length - 1, index + (event.key === "j" ? 1 : -1)));
      links[next].focus();
      event.preventDefault();
    } else if (event.key === "x" && index >= 0) {
      var box = links[index].closest("tr").querySelector(".row-select");
      if (box) box.checked = !box.checked;
      event.preventDefault();
    } else if (event.key === "n") {
      var go = document.getElementById("next-ticket");
      if (go) window.location.href = go.href;
    }
  });
});
