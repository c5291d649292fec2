// The new campaign form: live preview of recipients and cost (rendered by the server, in the
// console's language), one-click transliteration, a test send, and departments shown only for
// the regions ticked.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("campaign-form");
  if (!form) return;
  var post = function (url, data) {
    return fetch(url, {method: "POST", body: data, credentials: "same-origin"}).then(function (r) { return r.json(); });
  };
  var timer = null;

  function render(data) {
    var body = document.getElementById("preview-body");
    document.querySelectorAll(".text-info").forEach(function (el) { el.textContent = ""; });
    if (data.error) {
      body.textContent = "";
      var p = document.createElement("p"); p.className = "error-text"; p.textContent = data.error.message;
      body.appendChild(p);
      return;
    }
    body.innerHTML = data.html;            // rendered and escaped by the server
    Object.keys(data.info || {}).forEach(function (language) {
      var info = document.getElementById("info-" + language);
      if (info) info.textContent = data.info[language];
    });
  }
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(function () { post(form.dataset.previewUrl, new FormData(form)).then(render); }, 300);
  }

  // Departments follow the regions: a region's list shows once it is ticked.
  function showDepartments() {
    form.querySelectorAll(".region-box").forEach(function (box) {
      var block = document.getElementById("departments-" + box.value);
      if (!block) return;
      block.hidden = !box.checked;
      if (!box.checked) block.querySelectorAll("input").forEach(function (input) { input.checked = false; });
    });
  }
  form.querySelectorAll(".region-box").forEach(function (box) { box.addEventListener("change", showDepartments); });
  showDepartments();

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  form.querySelectorAll("button.transliterate").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = form.querySelector("textarea[data-language='" + button.dataset.language + "']");
      var data = new FormData(); data.append("text", area.value);
      data.append("csrf_token", form.elements["csrf_token"].value);
      post(form.dataset.transliterateUrl, data).then(function (result) {
        if (result.error) return;
        area.value = result.text;
        refresh();
        setTimeout(function () { document.getElementById("info-" + button.dataset.language).textContent = result.info; }, 700);
      });
    });
  });
  document.getElementById("test-send").addEventListener("click", function () {
    var data = new FormData(form);
    data.append("language", document.getElementById("test-language").value);
    post(form.dataset.testUrl, data).then(function (result) {
      document.getElementById("test-result").textContent = result.error ? result.error.message : result.message;
    });
  });
  refresh();
});
