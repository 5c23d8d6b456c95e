/* Runs first, before the page is drawn: a page that belongs to an ended patron
   session (reached with Back, Forward, a swipe, a reload or the back-forward
   cache) replaces itself with the welcome page, so the next patron sees
   nothing of the last one.

   Each history entry remembers the session it was opened in (history.state);
   the live session's id is in sessionStorage, which every reset empties. */
(function () {
  "use strict";
  var KEY = "kiosk-session";
  var root = document.documentElement;

  function currentSession() {
    try { return sessionStorage.getItem(KEY); } catch (e) { return null; }
  }

  function leaveIfStale() {
    var entry = history.state && history.state.kioskSession;
    if (entry && entry !== currentSession()) {
      root.classList.add("kiosk-leaving");
      // Forget the stale mark first: going to the same address can carry the state over.
      history.replaceState(null, "");
      location.replace(root.getAttribute("data-welcome"));
      return true;
    }
    return false;
  }

  function newSessionId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  if (!leaveIfStale()) {
    var session = currentSession();
    if (!session) {
      session = newSessionId();
      try { sessionStorage.setItem(KEY, session); } catch (e) { /* storage off: nothing to guard */ }
      root.setAttribute("data-session-opened", "true");  // the first page of a session (kiosk.js)
    }
    history.replaceState({ kioskSession: session }, "");
  }
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { leaveIfStale(); }
  });
})();
