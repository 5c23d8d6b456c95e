/* The patron session in the browser: idle warning and reset, Quick exit
   (the button, or Shift pressed three times), and the cover that hides the
   screen the moment a session ends. Every page reads without this file. */
(function () {
  "use strict";
  var root = document.documentElement;
  var idleSeconds = Number(root.getAttribute("data-idle-seconds")) || 180;
  var warningSeconds = Number(root.getAttribute("data-warning-seconds")) || 30;
  var welcomeUrl = root.getAttribute("data-welcome");
  var resetUrl = root.getAttribute("data-reset");
  // The welcome page a session opens on (after a reset, or when the browser starts) has nothing
  // to clear; its timer starts at the first touch. Any other page, the welcome page reached by
  // the home link included, belongs to a patron who did something, and always ends in a reset.
  var armed = !(root.getAttribute("data-pristine") === "true" && root.hasAttribute("data-session-opened"));

  var dialog = document.getElementById("idle-dialog");
  var countdown = document.getElementById("idle-countdown");
  var cover = document.getElementById("exit-cover");
  var idleTimer = null;
  var tick = null;
  var ending = false;

  function endSession() {
    if (ending) { return; }
    ending = true;
    document.dispatchEvent(new Event("kiosk-leaving"));  // read-aloud stops at once
    cover.hidden = false;
    root.classList.add("kiosk-leaving");
    try { sessionStorage.clear(); localStorage.clear(); } catch (e) { /* nothing stored */ }
    var leave = function () { location.replace(welcomeUrl); };
    fetch(resetUrl, { method: "POST", credentials: "same-origin", cache: "no-store" }).then(leave, leave);
  }

  function hideWarning() {
    clearInterval(tick);
    tick = null;
    if (dialog.open) { dialog.close(); }
  }

  function showWarning() {
    // Someone listening to an article is not idle, however long it takes.
    if (root.getAttribute("data-listening") === "true") { restartIdleTimer(); return; }
    var left = warningSeconds;
    countdown.textContent = String(left);
    dialog.showModal();
    document.getElementById("idle-continue").focus();
    tick = setInterval(function () {
      left -= 1;
      countdown.textContent = String(Math.max(left, 0));
      if (left <= 0) { endSession(); }
    }, 1000);
  }

  function restartIdleTimer() {
    if (ending) { return; }
    armed = true;
    hideWarning();
    clearTimeout(idleTimer);
    idleTimer = setTimeout(showWarning, (idleSeconds - warningSeconds) * 1000);
  }

  function onActivity(event) {
    if (event.target && event.target.id === "idle-leave") { return; }
    // Opening the dialog can scroll the page; only a person's touch or key dismisses it.
    if (event.type === "scroll" && dialog.open) { return; }
    restartIdleTimer();
  }

  ["pointerdown", "keydown", "wheel", "scroll", "touchstart"].forEach(function (type) {
    window.addEventListener(type, onActivity, { capture: true, passive: true });
  });
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); restartIdleTimer(); });
  document.getElementById("idle-continue").addEventListener("click", restartIdleTimer);
  document.getElementById("idle-leave").addEventListener("click", endSession);

  // Quick exit: the button posts to /reset even without this script; with it,
  // the screen is covered at once instead of waiting for the server.
  document.querySelectorAll("form.quick-exit").forEach(function (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); endSession(); });
  });

  // Shift three times within a few seconds exits; any other key starts the count again.
  var shiftPresses = [];
  window.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") { shiftPresses = []; return; }
    if (event.repeat) { return; }
    var now = Date.now();
    shiftPresses = shiftPresses.filter(function (t) { return now - t < 3000; });
    shiftPresses.push(now);
    if (shiftPresses.length >= 3) { endSession(); }
  }, true);

  // Print buttons print the page they are on; its print stylesheet makes it the handout.
  // With silent kiosk printing nothing else on screen would show that it worked.
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
      var status = button.parentNode.querySelector(".print-status");
      if (status) { status.hidden = false; }
    });
  });

  // Listen is offered only where this script runs (speech.js, loaded next, plays it).
  document.querySelectorAll(".listen").forEach(function (block) { block.hidden = false; });

  // A page brought back from the back-forward cache kept this script's state: whatever it was,
  // the patron has been here before, so the page times out like any other.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { restartIdleTimer(); } });

  if (armed) { restartIdleTimer(); }
})();
