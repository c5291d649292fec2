// A campaign's page follows its sending live: it polls the progress JSON every two seconds while
// the campaign is scheduled, sending or paused, and updates the bar, the counts and the buttons
// (Pause and Cancel are disabled as soon as it completes, without a reload).
document.addEventListener("DOMContentLoaded", function () {
  var section = document.getElementById("progress");
  if (!section) return;
  var set = function (id, text) { var el = document.getElementById(id); if (el) el.textContent = text; };
  var number = function (n) { return new Intl.NumberFormat(document.documentElement.lang).format(n); };

  function update(data) {
    set("status", data.status_label);
    var bar = document.getElementById("progress-bar");
    bar.value = data.progress.percent;
    bar.textContent = data.progress.percent_text;
    set("progress-percent", data.progress.percent_text);
    var done = document.getElementById("progress-done");
    if (done && done.dataset.template) {
      done.textContent = done.dataset.template.replace("%done", number(data.progress.done)).replace("%total", number(data.progress.total));
    }
    document.getElementById("progress-eta-wrap").hidden = !data.progress.eta_text;
    set("progress-eta", data.progress.eta_text);
    Object.keys(data.counts).forEach(function (key) { set("count-" + key, number(data.counts[key])); });
    if (data.unconfirmed !== undefined) set("count-unconfirmed", data.unconfirmed);
    set("segments", number(data.segments));
    set("cost", data.cost_text);
    Object.keys(data.per_language || {}).forEach(function (language) {
      Object.keys(data.per_language[language]).forEach(function (key) {
        set("lang-" + language + "-" + key, number(data.per_language[language][key]));
      });
    });
    Object.keys(data.actions).forEach(function (action) {
      var button = document.getElementById("action-" + action);
      if (button && button.tagName === "BUTTON") button.disabled = !data.actions[action];
    });
    var send = document.getElementById("action-send");
    if (send && !data.actions.send) send.hidden = true;
    section.dataset.live = data.live ? "true" : "false";
    if (data.live) setTimeout(poll, 2000);
  }
  function poll() {
    fetch(section.dataset.url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(update)
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (section.dataset.live === "true") setTimeout(poll, 1000);
});
