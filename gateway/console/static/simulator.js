// The phone simulator: keeps the session like Africa's Talking does (every input joined with
// "*") and posts each hop to the console, which forwards it to the real USSD endpoint.
(function () {
  "use strict";
  const root = document.getElementById("simulator");
  // Texts in the console's language, from the page (data-text-*).
  const texts = {ended: root.dataset.textEnded, waiting: root.dataset.textWaiting, dialling: root.dataset.textDialling,
                 idle: root.dataset.textIdle, networkError: root.dataset.textNetworkError, pressDial: root.dataset.textPressDial};
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const screen = $("sim-screen"), input = $("sim-input"), state = $("sim-state"), count = $("sim-count");
  const number = $("sim-number"), inbox = $("sim-inbox"), log = $("sim-log");
  let sessionId = null, inputs = [], busy = false;

  function show(body) {
    const end = body.startsWith("END ");
    const text = body.replace(/^(CON|END) /, "");
    screen.textContent = text;
    count.textContent = text.length + "/160";
    state.textContent = end ? texts.ended : texts.waiting;
    const item = document.createElement("li");
    item.textContent = text;
    if (end) item.className = "end";
    log.prepend(item);
    if (end) { sessionId = null; input.disabled = true; } else { input.disabled = false; input.focus(); }
  }

  async function hop() {
    if (busy) return;
    busy = true;
    const form = new FormData();
    form.append("csrf_token", root.dataset.csrf);
    form.append("sessionId", sessionId);
    form.append("phoneNumber", number.value);
    form.append("text", inputs.join("*"));
    try {
      const response = await fetch(root.dataset.hopUrl, {method: "POST", body: form, credentials: "same-origin"});
      const data = await response.json().catch(() => ({status: response.status, body: "error"}));
      if (data.status !== 200) { show("END (" + data.status + ") " + data.body); } else { show(data.body); }
    } catch (err) {
      show("END " + texts.networkError + " " + err);
    } finally {
      busy = false;
      setTimeout(refreshInbox, 600);
    }
  }

  function dial() {
    if (sessionId) { send(); return; }
    sessionId = "sim-" + Math.random().toString(36).slice(2, 12);
    inputs = [];
    log.innerHTML = "";
    state.textContent = texts.dialling;
    hop();
  }

  function send() {
    if (!sessionId || busy) return;
    inputs.push(input.value);
    input.value = "";
    hop();
  }

  async function refreshInbox() {
    const url = root.dataset.inboxUrl + "?phoneNumber=" + encodeURIComponent(number.value);
    try {
      const response = await fetch(url, {credentials: "same-origin"});
      if (!response.ok) return;
      const data = await response.json();
      inbox.innerHTML = "";
      data.messages.forEach((m) => { const li = document.createElement("li"); li.textContent = m.text; inbox.append(li); });
    } catch (err) { /* the next poll will try again */ }
  }

  $("sim-dial").addEventListener("click", dial);
  $("sim-hang").addEventListener("click", () => { sessionId = null; input.disabled = true; state.textContent = texts.idle; });
  $("sim-clear").addEventListener("click", () => { input.value = input.value.slice(0, -1); input.focus(); });
  root.querySelectorAll(".key").forEach((b) => b.addEventListener("click", () => {
    if (input.disabled) return;
    input.value += b.dataset.key;
    input.focus();
  }));
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); send(); } });
  number.addEventListener("change", () => { sessionId = null; inbox.innerHTML = ""; refreshInbox(); });
  // Absent in production, where only the reserved test numbers are offered.
  const newNumber = $("sim-new-number");
  if (newNumber) newNumber.addEventListener("click", () => {
    number.value = "+22796" + String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
    sessionId = null; inbox.innerHTML = ""; log.innerHTML = ""; screen.textContent = texts.pressDial;
  });
  refreshInbox();
  setInterval(refreshInbox, 3000);
}());
