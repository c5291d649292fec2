// Behaviour shared by every console page. No inline scripts anywhere (a Content-Security-Policy
// without 'unsafe-inline' must hold): pages put their data in data-* attributes.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  // The folding menu on phones.
  var toggle = document.querySelector(".menu-toggle"), menu = document.getElementById("menu");
  if (toggle && menu) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }
  // Buttons and links that ask first: data-confirm="the question".
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
  });
});

// A department list that follows a region list: <select data-departments-of="ID of the region select">,
// each option with data-region. Only the chosen region's departments are offered.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-departments-of]").forEach(function (departments) {
    var region = document.getElementById(departments.getAttribute("data-departments-of"));
    if (!region) return;
    function filter() {
      Array.prototype.forEach.call(departments.options, function (option) {
        var parent = option.getAttribute("data-region");
        option.hidden = !!(parent && region.value && parent !== region.value);
        if (option.hidden && option.selected) departments.value = "";
      });
    }
    region.addEventListener("change", filter);
    filter();
  });
});
