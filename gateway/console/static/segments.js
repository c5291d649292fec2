// A live SMS counter under every textarea with data-segments="URL of the counter": encoding
// (GSM-7 or UCS-2), characters and segments, worked out by the server as for campaigns.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-segments]").forEach(function (area) {
    var form = area.form, counter = document.createElement("small"), timer = null;
    counter.className = "counter"; counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    function update() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!area.value) { counter.textContent = ""; return; }
        var data = new FormData();
        data.append("text", area.value);
        data.append("csrf_token", form.elements["csrf_token"].value);
        fetch(area.getAttribute("data-segments"), {method: "POST", body: data, credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (info) {
            counter.textContent = info.message || "";
            counter.classList.toggle("ucs2", info.encoding === "UCS-2");
          });
      }, 250);
    }
    area.addEventListener("input", update);
    update();
  });
});
