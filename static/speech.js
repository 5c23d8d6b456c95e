/* Read-aloud: the parts of an article (elements marked data-speech, in page order) spoken one
   after another by the kiosk (kiosk/speech/), with the word being heard highlighted through the
   CSS Custom Highlight API, so the article's own markup is never changed, and kept in view.
   Where a person's recording of the article was supplied (data-narration: the address of its
   timings), Listen plays that instead and highlights the sentences heard, stretch by stretch
   (a sentence stays highlighted until the next stretch starts).
   kiosk.js shows the Listen controls; this file is on every page, so that nothing the browser
   keeps tells whether anyone listened. The highlight is speaking mode's too (static/speaking.js,
   which runs after this file): window.kioskSpoken.

   While it plays, the page counts as in use (html[data-listening]); the end of the session
   ("kiosk-leaving", sent by kiosk.js) stops it at once. Nothing is kept: the audio is asked for
   part by part, and forgotten. */
(function () {
  "use strict";
  var root = document.documentElement;
  var HIGHLIGHT = "kiosk-spoken";
  var SLOWER = 0.75;
  var players = [];

  // ---- the word being heard, highlighted (read-aloud's and speaking mode's) ----
  // The text of an element as it is spoken: its text nodes less those inside leftOut; folded, with
  // each run of white space one space and none at the ends (as speaking mode sends it). Each
  // character (a UTF-16 code unit, as the word timings count) keeps the node and place it came from.
  function spokenText(element, leftOut, folded) {
    var text = "";
    var places = [];
    var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement.closest(leftOut) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    while (walker.nextNode()) {
      var node = walker.currentNode;
      for (var at = 0; at < node.data.length; at += 1) {
        var character = node.data[at];
        if (folded && /\s/.test(character)) {
          if (!text || text[text.length - 1] === " ") { continue; }
          character = " ";
        }
        text += character;
        places.push([node, at]);
      }
    }
    if (folded && text[text.length - 1] === " ") { text = text.slice(0, -1); places.pop(); }
    return { text: text, places: places };
  }

  // The range of length characters of spoken (from spokenText) from start, or null.
  function rangeIn(spoken, start, length) {
    var first = spoken.places[start];
    var last = spoken.places[start + length - 1];
    if (!first || !last) { return null; }
    var range = document.createRange();
    range.setStart(first[0], first[1]);
    range.setEnd(last[0], last[1] + 1);
    return range;
  }

  // Highlights the ranges given (a sentence of a recording may span several parts); with
  // keepInView, scrolls so that the first stays in view, a third of the way down the screen.
  function highlightRanges(ranges, keepInView) {
    ranges = ranges.filter(function (range) { return range; });
    if (!ranges.length || !window.CSS || !CSS.highlights || !window.Highlight) { return; }
    var highlight = new Highlight();
    ranges.forEach(function (range) { highlight.add(range); });
    CSS.highlights.set(HIGHLIGHT, highlight);
    var box = ranges[0].getBoundingClientRect();
    if (keepInView && (box.top < 100 || box.bottom > window.innerHeight - 40)) {
      window.scrollBy({ top: box.top - window.innerHeight / 3, behavior: "auto" });
    }
  }

  // Highlights length characters of spoken (from spokenText) from start.
  function highlightWord(spoken, start, length, keepInView) {
    highlightRanges([rangeIn(spoken, start, length)], keepInView);
  }

  function clearWord() {
    if (window.CSS && CSS.highlights) { CSS.highlights.delete(HIGHLIGHT); }
  }

  window.kioskSpoken = { text: spokenText, highlight: highlightWord, clear: clearWord };

  function Player(block) {
    var base = block.getAttribute("data-speech-base");
    var scope = document.querySelector(block.getAttribute("data-speech-scope")) || document.body;
    var scopes = block.getAttribute("data-speech-scope") === "main" ? [scope] :
      Array.prototype.slice.call(document.querySelectorAll(block.getAttribute("data-speech-scope")));
    var parts = [];
    scopes.forEach(function (each) {
      Array.prototype.forEach.call(each.querySelectorAll("[data-speech]"), function (element) { parts.push(element); });
    });
    var byName = {};
    parts.forEach(function (element) { byName[element.getAttribute("data-speech")] = element; });
    var narration = block.getAttribute("data-narration");
    var audio = new Audio();
    // The part being spoken; for a recording, 0 while it plays (-1: stopped).
    var index = -1;
    var words = [];
    var segments = null;  // a recording's stretches: [start, end, [[part, start, length], ...]]
    var spoken = null;  // the text of the part being heard (spokenText), in which its words are found
    var shown = -1;
    var frame = null;
    // "playing" from the tap until Stop or the end, including the moment between two parts.
    var state = "stopped";
    var slower = block.querySelector(".listen-speed").getAttribute("aria-pressed") === "true";
    var buttons = {
      start: block.querySelector(".listen-start"), pause: block.querySelector(".listen-pause"),
      resume: block.querySelector(".listen-resume"), stop: block.querySelector(".listen-stop"),
      speed: block.querySelector(".listen-speed")
    };

    function show(next) {
      state = next;
      buttons.start.hidden = state !== "stopped";
      buttons.pause.hidden = state !== "playing";
      buttons.resume.hidden = state !== "paused";
      buttons.stop.hidden = state === "stopped";
      block.setAttribute("data-state", state);
      var anyPlaying = players.some(function (player) { return player.playing(); });
      if (anyPlaying) { root.setAttribute("data-listening", "true"); } else { root.removeAttribute("data-listening"); }
    }

    function clearHighlight() {
      clearWord();
      shown = -1;
    }

    // The last of `timed` (words, or a recording's stretches) whose start (at `at` in each) has been heard.
    function lastHeard(timed, at, heard) {
      var current = -1;
      for (var i = 0; i < timed.length && timed[i][at] <= heard; i += 1) { current = i; }
      return current;
    }

    // Where a recording's stretch is on the page: a range in each part it spans.
    function stretchRanges(stretch) {
      return stretch[2].map(function (place) {
        var element = byName[place[0]];
        return element ? rangeIn(spokenText(element, ".offsite-marker", false), place[1], place[2]) : null;
      });
    }

    // Highlights what the recording is saying now.
    function showHeard() {
      var heard = audio.currentTime * 1000;
      var current = segments ? lastHeard(segments, 0, heard) : lastHeard(words, 2, heard);
      if (current !== shown && current >= 0) {
        if (segments) {
          highlightRanges(stretchRanges(segments[current]), true);
        } else {
          highlightWord(spoken, words[current][0], words[current][1], true);
        }
        shown = current;
      }
    }

    function follow() {
      if (audio.paused) { frame = null; return; }
      showHeard();
      frame = requestAnimationFrame(follow);
    }

    // As a part starts, its first word is shown at once: a one-word title may be over before the
    // next frame on a busy machine, and would never be shown at all.
    function started() {
      show("playing");
      showHeard();
      frame = frame || requestAnimationFrame(follow);
    }

    function play(next) {
      index = next;
      clearHighlight();
      if (index >= parts.length) { stop(); return; }
      var name = parts[index].getAttribute("data-speech");
      words = [];
      fetch(base + name + ".json", { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (found) {
          if (index !== next) { return; }  // stopped, or moved on, meanwhile
          if (!found) { play(next + 1); return; }  // nothing to say here (a notice with no voice)
          words = found.words;
          spoken = spokenText(parts[index], ".offsite-marker", false);
          audio.src = base + name + ".wav";
          audio.playbackRate = slower ? SLOWER : 1;
          return audio.play().then(started);
        })
        .catch(function () { stop(); });
    }

    // A person's recording, played whole; without its timings, the kiosk's own voice reads instead.
    function playRecording() {
      index = 0;
      clearHighlight();
      fetch(narration, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (found) {
          if (index !== 0) { return; }  // stopped meanwhile
          if (!found) { narration = null; play(0); return; }
          segments = found.segments;
          audio.src = found.audio;
          audio.playbackRate = slower ? SLOWER : 1;
          return audio.play().then(started);
        })
        .catch(function () { stop(); });
    }

    function stop() {
      index = -1;
      segments = null;
      audio.pause();
      audio.removeAttribute("src");
      audio.load();
      clearHighlight();
      show("stopped");
    }

    audio.addEventListener("ended", function () {
      if (index < 0) { return; }
      if (segments) { stop(); } else { play(index + 1); }
    });
    buttons.start.addEventListener("click", function () {
      players.forEach(function (player) { if (player !== api) { player.stop(); } });
      if (narration) { playRecording(); } else { play(0); }
    });
    buttons.pause.addEventListener("click", function () { audio.pause(); show("paused"); });
    buttons.resume.addEventListener("click", function () {
      audio.play().then(started);
    });
    buttons.stop.addEventListener("click", stop);
    buttons.speed.addEventListener("click", function () {
      slower = !slower;
      audio.playbackRate = slower ? SLOWER : 1;
      buttons.speed.setAttribute("aria-pressed", slower ? "true" : "false");
    });

    var api = {
      start: function () { buttons.start.click(); },
      stop: stop,
      playing: function () { return state === "playing"; }
    };
    return api;
  }

  Array.prototype.forEach.call(document.querySelectorAll(".listen"), function (block) {
    players.push(Player(block));
  });
  document.addEventListener("kiosk-leaving", function () { players.forEach(function (player) { player.stop(); }); });
})();
