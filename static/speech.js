/* Read-aloud: the parts of an article (elements marked data-speech, in page order) spoken one
   after another by the kiosk (kiosk/speech/), with the word being heard highlighted through the
   CSS Custom Highlight API, so the article's own markup is never changed, and kept in view.
   Where a person's recording of the article was supplied (data-narration: the address of its
   timings), Listen plays that instead and highlights the sentences heard, stretch by stretch
   (a sentence stays highlighted until the next stretch starts).
   kiosk.js shows the Listen controls; this file is on every page, so that nothing the browser
   keeps tells whether anyone listened.

   While it plays, the page counts as in use (html[data-listening]); the end of the session
   ("kiosk-leaving", sent by kiosk.js) stops it at once. Nothing is kept: the audio is asked for
   part by part, and forgotten. */
(function () {
  "use strict";
  var root = document.documentElement;
  var HIGHLIGHT = "kiosk-spoken";
  var SLOWER = 0.75;
  var players = [];

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
    var segments = null;
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
      if (window.CSS && CSS.highlights) { CSS.highlights.delete(HIGHLIGHT); }
      shown = -1;
    }

    // The text nodes of a part, less the numbers that mark links (they are not spoken).
    function textNodes(element) {
      var found = [];
      var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT, {
        acceptNode: function (node) {
          return node.parentElement.closest(".offsite-marker") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
        }
      });
      while (walker.nextNode()) { found.push(walker.currentNode); }
      return found;
    }

    function rangeFor(element, start, length) {
      var nodes = textNodes(element);
      var range = document.createRange();
      var offset = 0;
      var started = false;
      for (var i = 0; i < nodes.length; i += 1) {
        var size = nodes[i].data.length;
        if (!started && start < offset + size) { range.setStart(nodes[i], start - offset); started = true; }
        if (started && start + length <= offset + size) { range.setEnd(nodes[i], start + length - offset); return range; }
        offset += size;
      }
      return null;
    }

    // The last of `timed` (words, or a recording's stretches) whose start (at `at` in each) has been heard.
    function lastHeard(timed, at, heard) {
      var current = -1;
      for (var i = 0; i < timed.length && timed[i][at] <= heard; i += 1) { current = i; }
      return current;
    }

    // Where the word or stretch `current` is on the page: one range, or one per part a stretch spans.
    function rangesOf(current) {
      var found = segments ? segments[current][2].map(function (place) {
        return byName[place[0]] ? rangeFor(byName[place[0]], place[1], place[2]) : null;
      }) : [rangeFor(parts[index], words[current][0], words[current][1])];
      return found.filter(function (range) { return range; });
    }

    function follow() {
      if (audio.paused) { frame = null; return; }
      var heard = audio.currentTime * 1000;
      var current = segments ? lastHeard(segments, 0, heard) : lastHeard(words, 2, heard);
      if (current !== shown && current >= 0 && window.CSS && CSS.highlights && window.Highlight) {
        var ranges = rangesOf(current);
        if (ranges.length) {
          var highlight = new Highlight();
          ranges.forEach(function (range) { highlight.add(range); });
          CSS.highlights.set(HIGHLIGHT, highlight);
          var box = ranges[0].getBoundingClientRect();
          if (box.top < 100 || box.bottom > window.innerHeight - 40) {
            window.scrollBy({ top: box.top - window.innerHeight / 3, behavior: "auto" });
          }
        }
        shown = current;
      }
      frame = requestAnimationFrame(follow);
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
          audio.src = base + name + ".wav";
          audio.playbackRate = slower ? SLOWER : 1;
          return audio.play().then(function () {
            show("playing");
            if (!frame) { frame = requestAnimationFrame(follow); }
          });
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
          return audio.play().then(function () {
            show("playing");
            if (!frame) { frame = requestAnimationFrame(follow); }
          });
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
      audio.play().then(function () { show("playing"); frame = frame || requestAnimationFrame(follow); });
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
