// The ticket page: picking a ready-made reply fills the text box so the operator can read (and
// adjust) it first; a live count of characters. Texts in the console's language from data-*.
document.addEventListener("DOMContentLoaded", function () {
  var canned = document.getElementById("canned"), text = document.getElementById("reply-text"),
      count = document.getElementById("reply-count");
  if (!text || !count) return;
  function update() { count.textContent = count.getAttribute("data-template").replace("{count}", text.value.length); }
  if (canned) canned.addEventListener("change", function () {
    var option = canned.options[canned.selectedIndex];
    text.value = option.getAttribute("data-text") || "";
    update();
  });
  text.addEventListener("input", function () { if (canned) canned.value = ""; update(); });
  update();
});
