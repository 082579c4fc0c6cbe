/* The browser phone for agents when the hotline runs on Twilio: fetch a Voice access token
   (GET /twilio/token), register a Twilio.Device and answer the incoming leg of the call the agent
   accepted in the console (Twilio passes the ACD's call id as the custom parameter "call_id").
   Loaded only when Twilio is configured and the agent has an ACD profile. No inline script. */
(function () {
  "use strict";
  var box, device = null, active = null, pending = {};
  var state = { status: "off", callId: null, error: null };
  window.hotlineSoftphone = state;

  function show(status, detail) {
    state.status = status;
    if (!box) { return; }
    box.setAttribute("data-status", status);
    var label = box.getAttribute("data-label-" + status) || status;
    var text = box.querySelector(".softphone-status");
    if (text) { text.textContent = label + (detail ? " · " + detail : ""); }
  }

  function acceptedCallId() {
    var panel = document.getElementById("call-panel");
    return panel ? panel.getAttribute("data-call-id") : null;
  }

  function token() {
    return fetch(box.getAttribute("data-token-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error("token " + r.status); }
        return r.json();
      })
      .then(function (data) { return data.token; });
  }

  function answer(call, callId) {
    delete pending[callId];
    active = call;
    state.callId = callId;
    call.on("disconnect", function () { active = null; state.callId = null; show("ready"); });
    call.on("cancel", function () { delete pending[callId]; show("ready"); });
    call.accept();
    show("connected", callId);
  }

  function onIncoming(call) {
    var callId = call.customParameters && call.customParameters.get("call_id");
    if (!callId) { call.reject(); return; }
    if (callId === acceptedCallId()) { answer(call, callId); return; }
    pending[callId] = call;  // the console's accept may still be on its way: answered on the panel swap
    call.on("cancel", function () { delete pending[callId]; show("ready"); });
    show("ringing", callId);
  }

  function onPanel() {
    var callId = acceptedCallId();
    if (callId && pending[callId]) { answer(pending[callId], callId); }
  }

  function onStatus(evt) {
    var el = document.getElementById("agent-state");
    var s = el ? el.getAttribute("data-state") : null;
    if (active && s && s !== "on_call" && s !== "offered") { active.disconnect(); }
    if (evt) { onPanel(); }
  }

  function start() {
    box = document.getElementById("softphone");
    if (!box || !window.Twilio || !window.Twilio.Device) { return; }
    token().then(function (t) {
      device = new window.Twilio.Device(t, { codecPreferences: ["opus", "pcmu"], closeProtection: true });
      device.on("registered", function () { show("ready"); });
      device.on("error", function (e) { state.error = String(e && e.message || e); show("error", state.error); });
      device.on("incoming", onIncoming);
      device.on("tokenWillExpire", function () { token().then(function (n) { device.updateToken(n); }); });
      return device.register();
    }).catch(function (e) { state.error = String(e && e.message || e); show("error", state.error); });
    document.body.addEventListener("htmx:afterSwap", function (evt) {
      var id = evt.detail && evt.detail.target && evt.detail.target.id;
      if (id === "call") { onPanel(); }
      if (id === "status") { onStatus(evt); }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
