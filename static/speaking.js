/* Speaking mode: the kiosk speaks every control and piece of text the patron reaches, in the page's
   language, for a patron who cannot read the screen or cannot touch it. Four ways to use it:
   - keys (a keypad or keyboard): the first arrow, Tab, Space or Enter turns it on; the README has
     the table of keys (next, previous, choose, back, help, louder, softer, faster, slower, pause,
     repeat);
   - two switches: one moves on (Space or 1), the other chooses (Enter or 2);
   - one switch: after the switch has turned speaking mode on and nothing else is pressed, the
     highlight steps through the controls by itself, spoken, and the switch chooses; the
     on-screen keyboard is stepped through by row, then by key;
   - touch: the button in the top corner (always there, and the first thing spoken) turns it on;
     a tap or a drag speaks what is under the finger, a double tap chooses what was last spoken.
   What is spoken is text the page holds, sent in the body of a request to /speech/say
   (kiosk/speech/speaking.py), which is never logged, and played through Web Audio, whose gain is
   the volume. The words of it the page shows are highlighted as they are heard, from the word
   timings that come with the audio, by read-aloud's highlight (static/speech.js). The next move
   interrupts speech.

   Between pages of one visit the mode, volume and speed are kept in the tab's window.name, which
   is in memory only; the end of the session ("kiosk-leaving", sent by kiosk.js) empties it, so
   nothing of speaking mode outlives a Quick exit or an idle reset. */
(function () {
  "use strict";
  var root = document.documentElement;
  var toggle = document.querySelector(".speaking-toggle");
  if (!toggle) { return; }
  var phrases = JSON.parse(toggle.getAttribute("data-phrases"));
  var pageLanguage = root.getAttribute("lang");
  var voices = phrases.voices;
  var KEPT = "kiosk-speaking:";
  var VOLUMES = [0.2, 0.35, 0.5, 0.7, 1];
  var RATES = [110, 135, 165, 200, 240, 290];
  var PACES = [2000, 1500, 1000, 750, 500];
  var DEFAULTS = { volume: 3, rate: 2, pace: 2 };
  var SCAN_ROUNDS = 3;
  var SCAN_AFTER_MS = 5000;       // one switch: scanning starts when nothing follows the first press
  var DOUBLE_TAP_MS = 500;
  var MOST_IN_ONE_REQUEST = 300;  // longer text is sent a sentence or two at a time
  var CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  var SKIPPED = "script, style, template, svg, .skip-link, .exit-cover";
  var LANDMARKS = { NAV: "navigation", MAIN: "main", FOOTER: "footer" };
  var HEADINGS = "h1, h2, h3, h4, h5, h6";
  var UNSPOKEN = "[aria-hidden=true], .offsite-marker, script, style";
  var spokenText = window.kioskSpoken.text;

  var state = null;          // { way: "keys" | "switch" | "scan" | "touch", volume, rate, pace }
  var current = null;        // the element last moved to, or null at the top of the page
  var helped = null;         // the element whose help was given last (a second Help explains the page)
  var audio = null;
  var gain = null;
  var playing = [];
  var highlighted = false;   // whether a word of what speaking mode says is highlighted now
  var utterance = 0;
  var paused = false;
  var lastSaid = null;
  var afterSpeech = null;
  var scanTimer = null;
  var scanStarter = null;
  var scanRounds = 0;
  var scanRow = null;
  var lastTap = 0;

  // ---- what is kept between the pages of one visit ----
  function keep() {
    window.name = state ? KEPT + JSON.stringify(state) : "";
    root.setAttribute("data-speaking", state ? state.way : "off");
    toggle.setAttribute("aria-pressed", state ? "true" : "false");
  }

  function kept() {
    if (window.name.indexOf(KEPT) !== 0) { return null; }
    try {
      var found = JSON.parse(window.name.slice(KEPT.length));
      if (["keys", "switch", "scan", "touch"].indexOf(found.way) < 0) { return null; }
      [["volume", VOLUMES], ["rate", RATES], ["pace", PACES]].forEach(function (setting) {
        var value = found[setting[0]];
        if (!(value >= 0 && value < setting[1].length && value % 1 === 0)) { found[setting[0]] = DEFAULTS[setting[0]]; }
      });
      return found;
    } catch (error) { return null; }
  }

  // ---- the voice ----
  function voiceFor(tag) { return voices.indexOf(tag) >= 0 ? tag : null; }

  function languageOf(element) {
    var marked = element.closest("[lang]");
    return marked ? marked.getAttribute("lang") : pageLanguage;
  }

  // Pieces of speech, [language, text, the element showing that text or nothing], cut into requests
  // small enough to be heard at once: each a list of { language, text, from: the element, shown: its
  // text (spokenText), at: where in that this text starts }, the last three only if the page shows it.
  function requestsFor(pieces) {
    var requests = [];
    var request = [];
    var size = 0;
    pieces.forEach(function (piece) {
      var shown = piece[2] ? spokenText(piece[2], UNSPOKEN, true) : null;
      if (shown && shown.text !== piece[1]) { shown = null; }
      sentences(piece[0], piece[1]).forEach(function (sentence) {
        if (size && size + sentence.text.length > MOST_IN_ONE_REQUEST) { requests.push(request); request = []; size = 0; }
        request.push({ language: piece[0], text: sentence.text, from: shown && piece[2], shown: shown, at: sentence.at });
        size += sentence.text.length;
      });
    });
    if (request.length) { requests.push(request); }
    return requests;
  }

  function sentences(tag, text) {
    if (text.length <= MOST_IN_ONE_REQUEST || !window.Intl || !Intl.Segmenter) { return [{ text: text, at: 0 }]; }
    var found = [];
    var segments = new Intl.Segmenter(tag, { granularity: "sentence" }).segment(text);
    for (var part of segments) { found.push({ text: part.segment, at: part.index }); }
    return found;
  }

  function ensureAudio() {
    if (!audio) {
      audio = new AudioContext();
      gain = audio.createGain();
      gain.connect(audio.destination);
    }
    gain.gain.value = VOLUMES[state ? state.volume : DEFAULTS.volume];
    if (audio.state === "suspended" && !paused) { audio.resume(); }
  }

  // The request spoken: { buffer: its audio, words: [[entry of the request, start, length, ms], ...] }, or null.
  function fetchSpeech(request) {
    return fetch("/speech/say", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ say: request.map(function (entry) { return [entry.language, entry.text]; }),
        rate: RATES[state ? state.rate : DEFAULTS.rate] })
    }).then(function (response) {
      if (response.status !== 200) { return null; }
      var words = JSON.parse(response.headers.get("Speech-Words") || "[]").map(function (word) {
        return [request[word[0]], word[1], word[2], word[3]];
      });
      return response.arrayBuffer().then(function (wav) { return audio.decodeAudioData(wav); })
        .then(function (buffer) { return { buffer: buffer, words: words }; });
    });
  }

  // Each animation frame while source plays, its word being heard is highlighted, if the page shows
  // it; a paragraph longer than the screen scrolls with it (but not under a finger exploring it).
  function follow(source, words, startedAt) {
    var shown = -1;
    (function look() {
      if (playing[0] !== source) { return; }
      var heard = (audio.currentTime - startedAt) * 1000;
      var at = -1;
      for (var i = 0; i < words.length && words[i][3] <= heard; i += 1) { at = i; }
      if (at !== shown && at >= 0) {
        shown = at;
        var entry = words[at][0];
        if (entry.from && entry.from.isConnected) {
          var keepInView = Boolean(state) && state.way !== "touch" && kind(entry.from) === "text";
          window.kioskSpoken.highlight(entry.shown, entry.at + words[at][1], words[at][2], keepInView);
          highlighted = true;
        } else {
          unhighlight();
        }
      }
      requestAnimationFrame(look);
    })();
  }

  function unhighlight() {
    if (highlighted) { window.kioskSpoken.clear(); highlighted = false; }
  }

  function silence() {
    utterance += 1;
    playing.forEach(function (source) { try { source.stop(); } catch (error) { /* not started */ } });
    playing = [];
    afterSpeech = null;
    unhighlight();
    root.setAttribute("data-speaking-state", "quiet");
  }

  // Speak pieces ([language, text, the element showing the text, if any]; a language without a voice
  // is left out), then call done().
  function say(pieces, done) {
    silence();
    ensureAudio();
    if (paused) { paused = false; audio.resume(); }
    var mine = utterance;
    lastSaid = pieces;
    afterSpeech = done || null;
    var requests = requestsFor(pieces.filter(function (piece) { return piece[1] && voiceFor(piece[0]); }));
    root.setAttribute("data-speaking-state", "speaking");
    var next = requests.length ? fetchSpeech(requests[0]) : Promise.resolve(null);
    function play(index, coming) {
      if (mine !== utterance) { return; }
      if (index >= requests.length) { finished(mine); return; }
      var following = index + 1 < requests.length ? fetchSpeech(requests[index + 1]) : null;
      coming.then(function (speech) {
        if (mine !== utterance) { return; }
        if (!speech) { play(index + 1, following || Promise.resolve(null)); return; }
        var source = audio.createBufferSource();
        source.buffer = speech.buffer;
        source.connect(gain);
        source.onended = function () { playing = []; play(index + 1, following || Promise.resolve(null)); };
        playing = [source];
        source.start();
        follow(source, speech.words, audio.currentTime);
        if (index === 0 && performance.getEntriesByName("speaking-move").length) {
          performance.measure("speaking-first-sound", "speaking-move");
          performance.clearMarks("speaking-move");
        }
      }).catch(function () { finished(mine); });
    }
    play(0, next);
  }

  function finished(mine) {
    if (mine !== utterance) { return; }
    unhighlight();
    root.setAttribute("data-speaking-state", "quiet");
    var then = afterSpeech;
    afterSpeech = null;
    if (then) { then(); }
  }

  function phrase(name) { return [pageLanguage, phrases[name]]; }

  // ---- what the page holds, in reading order ----
  function hidden(element) {
    return element.hidden || element.inert || element.getAttribute("aria-hidden") === "true" || element.matches(SKIPPED) ||
      (Boolean(element.parentElement) && element.parentElement.matches("details:not([open])") && !element.matches("summary"));  // a closed menu's items
  }

  function shown(element) {
    return element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
  }

  function isControl(element) { return element.matches(CONTROLS) && !element.disabled; }
  function isHeading(element) { return /^H[1-6]$/.test(element.tagName); }
  function isLandmark(element) { return Boolean(LANDMARKS[element.tagName]); }

  // Text of the element's own, outside the controls and headings inside it.
  function hasOwnText(element) {
    for (var node = element.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === Node.TEXT_NODE && node.data.trim()) { return true; }
    }
    return false;
  }

  // Text read as a stop of its own: not a control's, a heading's or a label's (said with its control).
  function isText(element) {
    return hasOwnText(element) && !element.closest(CONTROLS) && !element.closest(HEADINGS) && !element.closest("label");
  }

  function scope() {
    var dialog = document.querySelector("dialog[open]");
    return dialog || document.body;
  }

  function stops(controlsOnly) {
    var found = [];
    var insideText = null;
    var walker = document.createTreeWalker(scope(), NodeFilter.SHOW_ELEMENT, {
      acceptNode: function (element) { return hidden(element) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }
    });
    while (walker.nextNode()) {
      var element = walker.currentNode;
      if (insideText && !insideText.contains(element)) { insideText = null; }
      if (!shown(element) && getComputedStyle(element).display !== "contents") { continue; }
      if (isControl(element)) {
        if (!element.parentElement.closest(CONTROLS)) { found.push(element); }
      } else if (controlsOnly) {
        continue;
      } else if (isHeading(element) || isLandmark(element)) {
        found.push(element);
      } else if (!insideText && isText(element)) {
        found.push(element);
        insideText = element;
      }
    }
    return found;
  }

  function cleanText(element) { return spokenText(element, UNSPOKEN, true).text; }

  function nameOf(element) {
    var label = element.getAttribute("aria-label");
    if (label) { return label; }
    var by = element.getAttribute("aria-labelledby");
    if (by) {
      return by.split(/\s+/).map(function (id) {
        var named = document.getElementById(id);
        return named ? cleanText(named) : "";
      }).join(" ").trim();
    }
    if (element.labels && element.labels.length) { return cleanText(element.labels[0]); }
    return cleanText(element) || element.getAttribute("placeholder") || element.getAttribute("title") || "";
  }

  // The element that shows a control's name on the page, whose words are highlighted as it is said
  // (requestsFor makes sure the text is the same); none for a name only said.
  function nameShownBy(element) {
    if (element.getAttribute("aria-label")) { return null; }
    var by = (element.getAttribute("aria-labelledby") || "").trim();
    if (by) { return by.indexOf(" ") < 0 ? document.getElementById(by) : null; }
    if (element.labels && element.labels.length) { return element.labels[0]; }
    return element;
  }

  function kind(element) {
    if (isControl(element)) {
      if (element.matches("a")) { return "link"; }
      if (element.matches("input:not([type=button]):not([type=submit]), textarea")) { return "field"; }
      return "button";
    }
    if (isHeading(element)) { return "heading"; }
    if (isLandmark(element)) { return "landmark"; }
    return "text";
  }

  // What is said on reaching an element: its name in its own language, its role and state in the page's.
  function describe(element) {
    var what = kind(element);
    var language = languageOf(element);
    // A name in a language with no voice (a language's own name, say) is read in the page's voice.
    var nameLanguage = voiceFor(language) ? language : pageLanguage;
    if (what === "text") { return [[language, cleanText(element), element]]; }
    if (what === "heading") {
      return [[language, cleanText(element), element], [pageLanguage, phrases.heading.replace("%(level)s", element.tagName.slice(1))]];
    }
    if (what === "landmark") {
      return [[pageLanguage, phrases[LANDMARKS[element.tagName]]], [nameLanguage, element.hasAttribute("aria-label") || element.hasAttribute("aria-labelledby") ? nameOf(element) : ""]];
    }
    var pieces = [[nameLanguage, nameOf(element), nameShownBy(element)], phrase(what)];
    if (what === "field" && element.type !== "password") { pieces.push(element.value ? [language, element.value] : phrase("empty")); }
    if (element.getAttribute("aria-pressed")) { pieces.push(phrase(element.getAttribute("aria-pressed") === "true" ? "pressed" : "not_pressed")); }
    if (element.matches("summary")) { pieces.push(phrase(element.parentElement.open ? "expanded" : "collapsed")); }
    if (element.getAttribute("aria-current") && element.getAttribute("aria-current") !== "false") { pieces.push(phrase("current")); }
    if (element.getAttribute("aria-disabled") === "true") { pieces.push(phrase("disabled")); }
    return pieces;
  }

  // ---- moving ----
  // The moment of a move, from which bench/ measures the time to the first sound.
  function mark() {
    performance.clearMarks("speaking-move");
    performance.mark("speaking-move");
  }

  // Every move starts here: it interrupts an article being read aloud too (static/speech.js).
  function markMove() {
    mark();
    if (root.getAttribute("data-listening") === "true") {
      Array.prototype.forEach.call(document.querySelectorAll(".listen-stop:not([hidden])"), function (stop) { stop.click(); });
    }
  }

  // The element being spoken is outlined (an attribute, so its own classes stay as they are).
  function outline(element) {
    var marked = document.querySelector("[data-speaking-current]");
    if (marked) { marked.removeAttribute("data-speaking-current"); }
    if (element) { element.setAttribute("data-speaking-current", ""); }
  }

  function show(element) {
    outline(element);
    current = element;
    if (!element) { return; }
    // A text box takes the focus only when chosen: focused, it would open the on-screen keyboard.
    if (isControl(element) && kind(element) !== "field") {
      element.focus();
    } else {
      if (document.activeElement && document.activeElement !== document.body) { document.activeElement.blur(); }
      element.scrollIntoView({ block: "nearest" });
    }
  }

  function moveTo(element, prefix, done) {
    markMove();
    show(element);
    say((prefix || []).concat(element ? describe(element) : []), done);
  }

  function step(forward, controlsOnly) {
    // From a text box the next stop is its keyboard on the screen, which comes last on the page.
    var keyboard = forward && current && kind(current) === "field" && document.activeElement === current && shownKeyboard();
    if (keyboard && !keyboard.contains(current)) { moveTo(keyboard.querySelector(".key")); return current; }
    var all = stops(controlsOnly);
    var at = current ? all.indexOf(current) : -1;
    if (current && at < 0) {
      // The element moved to has gone (a keyboard closed): go on from where it was.
      at = all.findIndex(function (each) { return current.compareDocumentPosition(each) & Node.DOCUMENT_POSITION_FOLLOWING; });
      at = at < 0 ? all.length : at - (forward ? 1 : 0);
    }
    var next = forward ? at + 1 : (at < 0 ? all.length - 1 : at - 1);
    // Past the end is the top again: a switch that only moves on must reach everything.
    if (next >= all.length) { markMove(); show(null); say([phrase("end")]); return null; }
    if (next < 0) { markMove(); show(null); say([phrase("top")]); return null; }
    moveTo(all[next]);
    return all[next];
  }

  function activate(element) {
    if (phrases.no_voice) { goToNearestVoice(); return; }
    if (!element) { return; }
    if (element === toggle) { turnOff(); return; }
    if (kind(element) === "field") {
      element.focus();
      say(describe(element));
      if (state.way !== "keys") { whenKeyboardShows(element); }
      return;
    }
    element.click();
    if (element.matches(".listen-start")) { return; }  // the article is being read: nothing to add
    if (element.closest(".keyboard, .keypad")) {
      // What the box now holds (and the pinyin spelled so far, on the Chinese keyboard); of a
      // PIN, nothing: it is not said aloud, however private the headphones.
      var form = element.closest("form");
      var field = (form && form.querySelector("input[type=password]")) || document.querySelector("[data-keyboard]:not([hidden])");
      if (field && field.type === "password") { if (state.way === "scan") { scanAgain(); } return; }
      var typed = field ? field.value : "";
      var pinyin = element.closest(".keyboard") && element.closest(".keyboard").querySelector(".keyboard-pinyin");
      var pieces = [typed ? [languageOf(field), typed] : phrase("empty")];
      if (pinyin && pinyin.textContent) { pieces.push([languageOf(pinyin), pinyin.textContent]); }
      say(pieces, state.way === "scan" ? scanAgain : null);
    } else if (document.contains(element)) {
      say(describe(element), state.way === "scan" ? scanAgain : null);
    }
  }

  function shownKeyboard() {
    return Array.prototype.find.call(document.querySelectorAll(".keyboard, .keypad"), function (each) { return shown(each) && !each.hidden; });
  }

  // A switch cannot type in a box: once the on-screen keyboard is there, the patron is moved onto it.
  function whenKeyboardShows(field) {
    var waited = 0;
    (function look() {
      var keyboard = shownKeyboard();
      if (keyboard) {
        scanRow = null;
        if (state.way === "scan") { startScanning(); } else { moveTo(keyboard.querySelector(".key")); }
      } else if (waited < 50 && document.activeElement === field) {
        waited += 1;
        setTimeout(look, 100);
      }
    })();
  }

  function back() {
    var keyboard = document.querySelector(".keyboard:not([hidden]) [data-action=hide]");
    if (keyboard && shown(keyboard)) { keyboard.click(); step(false); return; }
    history.back();
  }

  function help() {
    markMove();
    if (current && helped !== current) {
      helped = current;
      say([phrase("help_" + kind(current).replace("landmark", "text"))]);
      return;
    }
    helped = null;
    var heading = document.querySelector("h1");
    say([[pageLanguage, phrases.help_page.replace("%(title)s", heading ? cleanText(heading) : document.title)]]);
  }

  function change(setting, by, names) {
    var steps = { volume: VOLUMES, rate: RATES, pace: PACES }[setting];
    var next = state[setting] + by;
    var said = names[by > 0 ? 0 : 1];
    if (next < 0 || next >= steps.length) { said = names[by > 0 ? 2 : 3]; next = state[setting]; }
    state[setting] = next;
    keep();
    markMove();
    // What was to follow the speech this interrupts (one switch's next step) follows this instead.
    say([phrase(said)], afterSpeech);
  }

  function pauseOrGoOn() {
    if (!audio) { return; }
    if (paused) {
      paused = false;
      audio.resume();
      root.setAttribute("data-speaking-state", playing.length ? "speaking" : "quiet");
      // One switch's scanning waited while paused: with nothing left to hear, it steps on.
      if (!playing.length && state.way === "scan" && scanTimer !== null) { scanStep(); }
      return;
    }
    paused = true;
    audio.suspend();
    root.setAttribute("data-speaking-state", "paused");
  }

  function repeat() { markMove(); if (lastSaid) { say(lastSaid, afterSpeech); } }

  // ---- turning it on and off ----
  // The first press keeps its own effect (Tab moves the focus): what it reached is said once it is there.
  var starting = null;  // the timer that will say speaking mode is on, until it has
  function turnOn(way) {
    state = { way: way, volume: DEFAULTS.volume, rate: DEFAULTS.rate, pace: DEFAULTS.pace };
    keep();
    markMove();
    if (phrases.no_voice) { announceNoVoice(); return; }
    starting = setTimeout(announceOn, 0);
  }

  function announceOn() {
    clearTimeout(starting);
    starting = null;
    if (!state) { return; }  // turned off meanwhile
    var focused = document.activeElement;
    var start = [phrase(state.way === "touch" ? "on_touch" : "on")];
    if (focused && focused !== document.body && isControl(focused)) {
      show(focused);
      say(start.concat(describe(focused)));
    } else {
      say(start);
    }
  }

  // The focus moved by the page itself (the idle warning's button) or by the browser: said as a move.
  function onFocus(event) {
    var target = event.target;
    if (!state || starting || target === current || !(target instanceof Element) || !isControl(target)) { return; }
    var dialog = target.closest("dialog[open]");
    var entering = dialog && !(current && dialog.contains(current));
    markMove();
    show(target);
    say((entering ? [[languageOf(dialog), nameOf(dialog)], [languageOf(dialog), describedBy(dialog)]] : []).concat(describe(target)));
  }

  function describedBy(element) {
    return (element.getAttribute("aria-describedby") || "").split(/\s+/).map(function (id) {
      var found = id && document.getElementById(id);
      return found ? cleanText(found) : "";
    }).join(" ").trim();
  }

  function turnOff() {
    stopScanning();
    clearTimeout(scanStarter);
    state = null;
    keep();
    show(null);
    say([phrase("off")]);
  }

  function announceNoVoice() {
    var notice = document.querySelector(".speaking-no-voice");
    if (notice) { notice.hidden = false; }
    say([[phrases.no_voice.nearest, phrases.no_voice.spoken]]);
  }

  function goToNearestVoice() {
    var link = document.querySelector("nav.languages a[hreflang='" + phrases.no_voice.nearest + "']");
    if (link) { link.click(); }
  }

  // On a new page of a visit in speaking mode: its title first, then where the patron left off.
  function arrive() {
    if (phrases.no_voice) { announceNoVoice(); return; }
    var heading = document.querySelector("h1");
    var focused = document.activeElement !== document.body && isControl(document.activeElement) ? document.activeElement : null;
    markMove();
    show(focused);
    var pieces = [heading ? [languageOf(heading), cleanText(heading), heading] : [pageLanguage, document.title]];
    // A warning the page opens with (a PIN not accepted) is said after its title.
    Array.prototype.forEach.call(document.querySelectorAll("[role=alert]:not(.speaking-no-voice)"), function (alert) {
      if (!alert.hidden && shown(alert)) { pieces.push([languageOf(alert), cleanText(alert), alert]); }
    });
    say(focused ? pieces.concat(describe(focused)) : pieces, state.way === "scan" ? startScanning : null);
  }

  function leave() {
    stopScanning();
    clearTimeout(scanStarter);
    silence();
    paused = false;
    state = null;
    keep();
    show(null);
  }

  // ---- one switch: automatic scanning ----
  function scanItems() {
    var keyboard = Array.prototype.find.call(document.querySelectorAll(".keyboard"), function (each) { return !each.hidden && shown(each); });
    if (!keyboard) { return stops(true); }
    if (scanRow) { return Array.prototype.filter.call(scanRow.querySelectorAll("button"), shown); }
    return Array.prototype.filter.call(keyboard.querySelectorAll(".keyboard-row, .keyboard-candidates"), function (row) {
      return shown(row) && row.querySelector("button");
    });
  }

  function startScanning() {
    clearTimeout(scanStarter);
    if (!state) { return; }
    var announce = state.way !== "scan";
    state.way = "scan";
    keep();
    scanRounds = 0;
    if (announce) { markMove(); show(null); say([phrase("scanning")], scanStep); } else { scanStep(); }
  }

  function scanStep() {
    clearTimeout(scanTimer);
    var items = scanItems();
    if (!items.length) { return; }
    var at = items.indexOf(current);
    if (at + 1 >= items.length) {
      scanRounds += 1;
      if (scanRounds >= SCAN_ROUNDS) {
        if (scanRow) { scanRow = null; scanRounds = 0; scanStep(); return; }
        stopScanning();
        say([phrase("scan_stopped")]);
        return;
      }
    }
    var next = items[(at + 1) % items.length];
    var isRow = next.matches(".keyboard-row, .keyboard-candidates");
    var stepped = false;
    var ready = function () { if (!stepped && state && state.way === "scan") { stepped = true; scanStep(); } };
    markMove();
    show(next);
    // The highlight stays for the pace, and at least until its name has been heard.
    var heard = false;
    var waited = false;
    say(isRow ? [[languageOf(next), Array.prototype.map.call(next.querySelectorAll("button"), nameOf).join(" ")]] : describe(next),
      function () { heard = true; if (waited) { ready(); } });
    scanTimer = setTimeout(function () {
      waited = true;
      if (!paused && (heard || root.getAttribute("data-speaking-state") !== "speaking")) { ready(); }
    }, PACES[state.pace]);
  }

  function stopScanning() {
    clearTimeout(scanTimer);
    scanTimer = null;
    scanRow = null;
  }

  function scanChoose() {
    clearTimeout(scanTimer);
    if (phrases.no_voice) { goToNearestVoice(); return; }
    // The switch, while the article is read aloud, stops the reading and the kiosk moves on again.
    if (root.getAttribute("data-listening") === "true") { markMove(); scanRounds = 0; scanStep(); return; }
    if (scanTimer === null && !current) { startScanning(); return; }
    if (current && current.matches(".keyboard-row, .keyboard-candidates")) {
      scanRow = current;
      scanRounds = 0;
      current = null;
      scanStep();
      return;
    }
    scanTimer = null;
    scanRow = null;
    activate(current);
  }

  function scanAgain() {
    if (state && state.way === "scan") { scanRounds = 0; scanStep(); }
  }

  // ---- keys ----
  function editing() {
    var focused = document.activeElement;
    return Boolean(focused) && (focused.isContentEditable ||
      (focused.matches("input, textarea") && !focused.matches("[type=button], [type=submit], [type=checkbox], [type=radio]")));
  }

  var SWITCH_MOVE = { " ": true, "1": true };
  var SWITCH_CHOOSE = { "Enter": true, "2": true };
  var TURNS_ON = { ArrowUp: 1, ArrowDown: 1, ArrowLeft: 1, ArrowRight: 1, Tab: 1, " ": 1, Enter: 1, "1": 1, "2": 1 };

  function onKey(event) {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    var key = event.key;
    var typing = editing();
    if (!state) {
      if (!TURNS_ON[key] || (typing && key.length === 1) || (typing && key === "Enter")) { return; }
      // The first press keeps its own effect too (Tab still moves the focus).
      turnOn(SWITCH_MOVE[key] || SWITCH_CHOOSE[key] ? "switch" : "keys");
      if (SWITCH_MOVE[key] || SWITCH_CHOOSE[key]) { scanStarter = setTimeout(startScanning, SCAN_AFTER_MS); }
      return;
    }
    // A browser puts keys before timers: the next key may come before "speaking mode is on" is said.
    // It is said first, so that it never follows (and Repeat never repeats it after) what the key says.
    if (starting) { announceOn(); }
    clearTimeout(scanStarter);
    if (state.way === "touch") { state.way = "keys"; keep(); }
    if (state.way === "scan") {
      if (SWITCH_MOVE[key] || SWITCH_CHOOSE[key]) { event.preventDefault(); scanChoose(); return; }
      if (key === "Shift") { return; }
      // A helper's louder, faster, pace, pause or repeat leaves the patron's scanning going.
      var setting = actionFor(key, event.shiftKey, typing);
      if (SETTINGS[setting]) { event.preventDefault(); ACTIONS[setting](); return; }
      stopScanning();
      state.way = "keys";
      keep();
    }
    var action = actionFor(key, event.shiftKey, typing);
    if (!action) { return; }
    if (action === "choose" && !typing && current && current === document.activeElement && !phrases.no_voice &&
        key === "Enter" && current.matches("a, button, summary") && !current.closest(".keyboard, .keypad")) {
      // The control's own Enter (a link, a button): its effect as without speaking mode. Not a key
      // on the screen's keyboard: chosen, it says what the box now holds (activate).
      mark();
      return;
    }
    event.preventDefault();
    if (SWITCH_MOVE[key] && state.way === "keys") { state.way = "switch"; keep(); }
    if ((key === "ArrowUp" || key === "ArrowDown" || key === "Tab") && state.way === "switch") { state.way = "keys"; keep(); }
    ACTIONS[action]();
  }

  function actionFor(key, shift, typing) {
    var rtl = root.getAttribute("dir") === "rtl";
    var always = {
      ArrowDown: "next", ArrowUp: "previous", Tab: shift ? "previous" : "next", Escape: "back", F1: "help",
      ArrowRight: rtl ? "previous" : "next", ArrowLeft: rtl ? "next" : "previous"
    };
    if (typing) {
      // In a text box the keys type; only these leave it or ask for help.
      return key === "ArrowLeft" || key === "ArrowRight" ? null : always[key] || null;
    }
    var more = {
      " ": "next", "1": "next", Enter: "choose", "2": "choose", Backspace: "back",
      h: "help", H: "help", "?": "help", "+": "louder", "=": "louder", "-": "softer",
      "*": "faster", "/": "slower", "]": "quicker", "[": "steadier", p: "pause", P: "pause", Pause: "pause",
      MediaPlayPause: "pause", r: "repeat", R: "repeat", "5": "repeat"
    };
    return always[key] || more[key] || null;
  }

  // What changes how the kiosk speaks, not where the patron is.
  var SETTINGS = { louder: 1, softer: 1, faster: 1, slower: 1, quicker: 1, steadier: 1, pause: 1, repeat: 1 };

  var ACTIONS = {
    next: function () { step(true); },
    previous: function () { step(false); },
    choose: function () { activate(current); },
    back: back,
    help: help,
    louder: function () { change("volume", 1, ["louder", "softer", "loudest", "softest"]); },
    softer: function () { change("volume", -1, ["louder", "softer", "loudest", "softest"]); },
    faster: function () { change("rate", 1, ["faster", "slower", "fastest", "slowest"]); },
    slower: function () { change("rate", -1, ["faster", "slower", "fastest", "slowest"]); },
    quicker: function () { change("pace", 1, ["faster", "slower", "fastest", "slowest"]); },
    steadier: function () { change("pace", -1, ["faster", "slower", "fastest", "slowest"]); },
    pause: pauseOrGoOn,
    repeat: repeat
  };

  // ---- what the page says by itself ----
  // A status line the page shows (a handout sent to the printer) is said when it appears, as a
  // screen reader would say it: it is how the page answers what the patron chose.
  function onStatus(changes) {
    if (!state) { return; }
    changes.forEach(function (change) {
      var status = change.target;
      if (!status.hidden && shown(status) && cleanText(status)) {
        say([[languageOf(status), cleanText(status), status]], state.way === "scan" ? scanAgain : null);
      }
    });
  }

  function watchStatuses() {
    var watcher = new MutationObserver(onStatus);
    Array.prototype.forEach.call(document.querySelectorAll("[role=status]:not(.speaking-no-voice), [role=alert]:not(.speaking-no-voice)"),
      function (status) { watcher.observe(status, { attributes: true, attributeFilter: ["hidden"] }); });
  }

  // ---- touch ----
  function under(x, y) {
    var element = document.elementFromPoint(x, y);
    while (element && element !== document.body) {
      if (!hidden(element) && (isControl(element) || isHeading(element) || isText(element))) {
        return element.closest(CONTROLS) || element;
      }
      element = element.parentElement;
    }
    return null;
  }

  // A touch that explores does not scroll: a finger on the top or bottom edge of the screen
  // scrolls half a screen (again every so often while it stays there).
  var EDGE = 0.06;
  var EDGE_AGAIN_MS = 800;
  var lastEdgeScroll = 0;
  function scrollAtEdge(event) {
    var height = window.innerHeight;
    var way = event.clientY < height * EDGE ? -1 : (event.clientY > height * (1 - EDGE) ? 1 : 0);
    if (!way || Date.now() - lastEdgeScroll < EDGE_AGAIN_MS) { return; }
    var target = document.elementFromPoint(event.clientX, event.clientY);
    if (target && target.closest(".keyboard, .speaking-toggle, .exit-button, dialog")) { return; }
    lastEdgeScroll = Date.now();
    window.scrollBy({ top: way * height / 2, behavior: "auto" });
  }

  function explore(event) {
    scrollAtEdge(event);
    var found = under(event.clientX, event.clientY);
    if (found && found !== current) {
      markMove();
      current = found;
      outline(found);
      say(describe(found));
    }
  }

  var fingerDown = null;       // where the finger went down, while it is down
  var spokenBeforeTap = null;  // what was spoken before this tap, which a double tap chooses
  var MOVED = 20;              // pixels: a finger moved further drags, it does not tap

  function touching(event) { return Boolean(state) && state.way === "touch" && event.pointerType === "touch"; }

  function onPointerDown(event) {
    if (!touching(event)) { return; }
    fingerDown = { x: event.clientX, y: event.clientY };
    if (Date.now() - lastTap < DOUBLE_TAP_MS) { return; }  // the second tap of a double tap
    spokenBeforeTap = current;
    explore(event);
  }

  function onPointerMove(event) {
    if (fingerDown && touching(event)) { explore(event); }
  }

  function onPointerUp(event) {
    if (!touching(event) || !fingerDown) { return; }
    var moved = Math.abs(event.clientX - fingerDown.x) + Math.abs(event.clientY - fingerDown.y) > MOVED;
    fingerDown = null;
    if (Date.now() - lastTap < DOUBLE_TAP_MS) {
      // A double tap, wherever it lands, chooses what was spoken before it began (as phone screen readers do).
      lastTap = 0;
      mark();
      activate(spokenBeforeTap || current);
      return;
    }
    lastTap = moved ? 0 : Date.now();
  }

  // While exploring by touch, a touch speaks instead of acting: no tap, scroll or focus of its own.
  function onTouchStart(event) {
    if (state && state.way === "touch") { event.preventDefault(); }
  }

  if (!voices.length) { return; }  // read-aloud is off, or eSpeak NG is missing: nothing to speak with
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    if (state && state.way === "touch") { return; }  // handled as a touch, above
    if (state) { turnOff(); } else { turnOn("touch"); }
  });
  window.addEventListener("keydown", onKey, true);
  document.addEventListener("focusin", onFocus);
  document.addEventListener("pointerdown", onPointerDown, true);
  document.addEventListener("pointermove", onPointerMove, true);
  document.addEventListener("pointerup", onPointerUp, true);
  document.addEventListener("touchstart", onTouchStart, { capture: true, passive: false });
  document.addEventListener("kiosk-leaving", leave);
  watchStatuses();

  state = kept();
  keep();
  if (state) { arrive(); }
})();
