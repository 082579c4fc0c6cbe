// The console's test-call page: places a call through this node (POST /api/v1/test-calls), shows
// what the caller hears as text (and reads prompts aloud with the browser's speech synthesis when
// it has a voice), sends keys and words, and follows the agent's actions until the call ends.
(function () {
  "use strict";
  const root = document.getElementById("testcall");
  if (!root) return;
  const api = root.dataset.api;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const $ = (id) => document.getElementById(id);
  let callId = null, timer = null, spoken = 0, busy = false, expects = null, typed = "";

  function request(method, path, body) {
    return fetch(api + path, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: body ? JSON.stringify(body) : undefined,
    }).then((r) => r.json().then((data) => {
      if (!r.ok) throw new Error(data.error || r.statusText);
      return data;
    }));
  }

  function showError(message) {
    const box = $("tc-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function line(kind, t, text) {
    const li = document.createElement("li");
    li.className = kind;
    const stamp = document.createElement("span");
    stamp.className = "t";
    stamp.textContent = (t || 0).toFixed(1) + "s";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = root.dataset["label" + cap(kind)] || kind;
    li.append(stamp, who, document.createTextNode(text));
    return li;
  }

  function describe(e) {
    if (e.type === "prompt") return ["prompt", e.text];
    if (e.type === "input") return ["input", e.kind === "speech" ? "“" + e.value + "”" : e.value];
    if (e.type === "hangup") return ["caller", root.dataset.labelEnded];
    return null;
  }

  function speak(events) {
    if (!("speechSynthesis" in window)) return;
    for (; spoken < events.length; spoken++) {
      const e = events[spoken];
      if (e.type !== "prompt") continue;
      const u = new SpeechSynthesisUtterance(e.text);
      u.lang = e.id && e.text && /[\u4e00-\u9fff]/.test(e.text) ? "zh-CN" : "en-US";
      window.speechSynthesis.speak(u);
    }
  }

  function render(call) {
    const items = [];
    for (const e of call.events) {
      const d = describe(e);
      if (d) items.push([e.t || 0, d[0], d[1]]);
    }
    for (const entry of call.log) items.push([entry.t, entry.who, entry.text]);
    items.sort((a, b) => a[0] - b[0]);
    const list = $("tc-transcript");
    list.replaceChildren(...items.map(([t, kind, text]) => line(kind, t, text)));
    list.scrollTop = list.scrollHeight;
    const state = $("tc-state");
    state.textContent = call.ended ? root.dataset.labelEnded : (root.dataset["label" + cap(call.pending)] || call.pending);
    state.className = "badge " + (call.ended ? "ended" : call.pending);
    $("tc-id").textContent = call.call_id;
    const live = !call.ended;
    document.querySelectorAll("#tc-keypad .key").forEach((b) => { b.disabled = !live; });
    $("tc-text").disabled = $("tc-say-btn").disabled = !live;
    $("tc-hangup").disabled = !live;
    $("tc-call").disabled = live;
    expects = call.expects;
    speak(call.events);
    if (!live && timer) { clearInterval(timer); timer = null; }
  }

  function cap(s) { return s ? s[0].toUpperCase() + s.slice(1) : ""; }

  function poll() {
    if (!callId || busy) return;
    request("GET", "/" + callId).then(render).catch((err) => showError(err.message));
  }

  function act(promise) {
    busy = true;
    showError("");
    return promise.then(render).catch((err) => showError(err.message)).finally(() => { busy = false; });
  }

  $("tc-start").addEventListener("submit", (ev) => {
    ev.preventDefault();
    spoken = 0;
    act(request("POST", "", {from: $("tc-from").value.trim(), to: $("tc-to").value.trim()}).then((call) => {
      callId = call.call_id;
      if (timer) clearInterval(timer);
      timer = setInterval(poll, 700);
      return call;
    }));
  });
  $("tc-hangup").addEventListener("click", () => {
    if (callId) act(request("POST", "/" + callId + "/hangup"));
  });
  document.querySelectorAll("#tc-keypad .key").forEach((button) => {
    button.addEventListener("click", () => {
      if (!callId) return;
      // a multi-digit entry (an ID number, a password) is sent whole: at # or at its maximum length
      const key = button.dataset.key, max = expects && expects.kind === "keys" ? expects.max_digits || 1 : 1;
      typed += key;
      $("tc-typed").textContent = typed;
      if (max > 1 && key !== "#" && typed.length < max) return;
      const keys = typed;
      typed = "";
      $("tc-typed").textContent = "";
      act(request("POST", "/" + callId + "/keys", {keys}));
    });
  });
  $("tc-say").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("tc-text").value.trim();
    if (!callId || !text) return;
    act(request("POST", "/" + callId + "/say", {text}).then((call) => { $("tc-text").value = ""; return call; }));
  });
})();
