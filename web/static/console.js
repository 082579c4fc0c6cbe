/* Console glue: one EventSource per page, re-broadcast as DOM events that htmx elements listen to
   (hx-trigger="hl-acd-agent-state from:body"), the ring sound, the wrap-up countdown and broadcasts.
   No inline scripts (the CSP forbids them). */
(function () {
  "use strict";
  var stats = { received: 0, lastLatencyMs: null, connected: false };
  window.hotlineLive = stats;

  function domName(type) { return "hl-" + type.replace(/[^a-z0-9]+/gi, "-"); }

  function configureHtmx() {
    if (!window.htmx) { return; }
    // Swapped-in buttons are wired by htmx when the swap settles; with the default 20 ms settle delay a
    // button that is already on screen (an offer's "accept") ignores a click or Alt+A for that long.
    htmx.config.defaultSettleDelay = 0;
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true }
    ];
  }

  function ring() {
    var audio = document.getElementById("ring");
    if (audio && audio.play) { var p = audio.play(); if (p && p.catch) { p.catch(function () {}); } }
  }

  function toast(text, cls) {
    var box = document.getElementById("toast");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "flash " + (cls || "");
    div.textContent = text;
    box.appendChild(div);
    setTimeout(function () { div.remove(); }, 8000);
  }

  function handle(type, msg) {
    var payload = {};
    try { payload = JSON.parse(msg.data || "{}"); } catch (e) { payload = {}; }
    stats.received += 1;
    if (payload.data && payload.data.sent_at) {
      stats.lastLatencyMs = Date.now() - payload.data.sent_at * 1000;
    }
    if (type === "acd.call.offered") { ring(); }
    if (type === "console.broadcast" && payload.data) { toast(payload.data.message, "info"); }
    if (type === "ticket.alert" && payload.data && payload.data.text) { toast(payload.data.text, "warn"); }
    document.body.dispatchEvent(new CustomEvent(domName(type), { detail: payload }));
    document.body.dispatchEvent(new CustomEvent("hl-any", { detail: payload }));
  }

  function connect() {
    if (!document.body.hasAttribute("data-live") || !window.EventSource) { return; }
    var source = new EventSource(document.body.getAttribute("data-live"));
    var dot = document.getElementById("live");
    source.onopen = function () { stats.connected = true; if (dot) { dot.classList.add("on"); } };
    source.onerror = function () { stats.connected = false; if (dot) { dot.classList.remove("on"); } };
    source.onmessage = function (msg) {
      var type = "message";
      try { type = JSON.parse(msg.data).type || "message"; } catch (e) { type = "message"; }
      handle(type, msg);
    };
  }

  function countdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = parseInt(el.getAttribute("data-countdown"), 10);
      if (isNaN(left) || left <= 0) { return; }
      left -= 1;
      el.setAttribute("data-countdown", String(left));
      el.textContent = left + "s";
    });
  }

  function expireToast(evt) {
    var target = evt.detail && evt.detail.target;
    if (!target || target.id !== "toast") { return; }
    Array.prototype.forEach.call(target.children, function (el) {
      setTimeout(function () { if (el.parentNode) { el.remove(); } }, 8000);
    });
  }

  // The call panel follows the agent's state: cleared once the agent is ready (or not ready) again
  // after wrap-up or a transfer, marked as wrap-up while the agent wraps up.
  function followState() {
    var badge = document.getElementById("agent-state");
    var panel = document.getElementById("call-panel");
    var call = document.getElementById("call");
    if (!badge || !panel || !call) { return; }
    var state = badge.getAttribute("data-state");
    if (state === "ready" || state === "not_ready" || state === "logged_out") {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = call.getAttribute("data-empty") || "";
      call.replaceChildren(empty);
      ["kb-call", "record-call"].forEach(function (id) {
        var el = document.getElementById(id); if (el) { el.value = ""; }
      });
    } else if (state === "wrap_up") {
      var callState = document.getElementById("call-state");
      if (callState) {
        callState.className = "badge wrap_up";
        callState.setAttribute("data-state", "wrap_up");
        callState.textContent = badge.textContent;
      }
    }
  }

  // Alt+A accept, Alt+H hold / resume, Alt+X hang up, Alt+W wrap up (the buttons' titles say so).
  function shortcut(evt) {
    if (!evt.altKey || evt.ctrlKey || evt.metaKey) { return; }
    var key = (evt.code || "").indexOf("Key") === 0 ? evt.code.slice(3).toLowerCase() : (evt.key || "").toLowerCase();
    var target = null;
    if (key === "a") { target = document.getElementById("btn-accept"); }
    if (key === "x") { target = document.getElementById("btn-hangup"); }
    if (key === "w") { target = document.getElementById("btn-wrap"); }
    if (key === "h") {
      var panel = document.getElementById("call-panel");
      var held = panel && panel.getAttribute("data-held") === "1";
      target = document.getElementById(held ? "btn-resume" : "btn-hold");
      if (panel && target && !target.disabled) { panel.setAttribute("data-held", held ? "0" : "1"); }
    }
    if (target && !target.disabled) {
      evt.preventDefault();
      target.click();
    }
  }

  // The CSV link exports what the report form shows: the same view, province and dates.
  function followReportForm() {
    var form = document.getElementById("report-form");
    var link = document.getElementById("csv-link");
    if (!form || !link) { return; }
    var update = function () {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (value) { params.set(key, value); } });
      params.set("format", "csv");
      link.setAttribute("href", link.getAttribute("href").split("?")[0] + "?" + params.toString());
    };
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    form.addEventListener("submit", update);
    update();
  }

  function onSwap(evt) {
    expireToast(evt);
    if (evt.detail && evt.detail.target && evt.detail.target.id === "status") { followState(); }
    if (evt.detail && evt.detail.target && evt.detail.target.id === "users" && document.getElementById("users-saved")) {
      var dialog = document.getElementById("user-edit");  // saved: the edit dialog has done its job
      if (dialog) { dialog.replaceChildren(); }
    }
    var panel = document.getElementById("call-panel");
    if (!panel || !evt.detail || !evt.detail.target || evt.detail.target.id !== "call") { return; }
    var callId = panel.getAttribute("data-call-id") || "";
    ["kb-call", "record-call"].forEach(function (id) {
      var el = document.getElementById(id); if (el) { el.value = callId; }
    });
    var prov = document.getElementById("kb-province");
    if (prov && panel.getAttribute("data-province")) { prov.value = panel.getAttribute("data-province"); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    configureHtmx();
    document.body.addEventListener("htmx:afterSwap", onSwap);
    document.addEventListener("keydown", shortcut);
    document.addEventListener("click", function (evt) {  // [data-clear="#id"] empties a dialog
      var button = evt.target && evt.target.closest ? evt.target.closest("[data-clear]") : null;
      var target = button ? document.querySelector(button.getAttribute("data-clear")) : null;
      if (target) { target.replaceChildren(); }
    });
    followReportForm();
    connect();
    setInterval(countdowns, 1000);
  });
})();
