/* The kiosk's own keyboards, for a touch screen with no keyboard: the on-screen keyboard of
   the search box (in the page's language; for Chinese, pinyin with the library's words to
   tap) and the number keypad of the staff PIN. A physical keyboard works as well. Without
   this file the search box and the PIN field are plain form fields. It is on every page (loaded
   after the page is drawn), so nothing the browser keeps tells whether anyone typed; a
   keyboard's keys are fetched the first time its box is touched.

   What is typed goes to the server only to ask which titles, topics or Chinese words to
   offer (kiosk/patron/keyboard.py), which keeps none of it. */
(function () {
  "use strict";

  // A key pressed on screen must not take the focus (and the caret) from the field.
  function keepFocus(element) {
    ["pointerdown", "mousedown"].forEach(function (type) {
      element.addEventListener(type, function (event) {
        if (event.target.closest("button, .key")) { event.preventDefault(); }
      });
    });
  }

  function typeInto(field, text) {
    var start = field.selectionStart === null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd === null ? field.value.length : field.selectionEnd;
    var room = field.maxLength > 0 ? field.maxLength - (field.value.length - (end - start)) : text.length;
    text = text.slice(0, Math.max(room, 0));
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // A tone mark goes on the letter before the caret, in place of any tone it had (Vietnamese).
  function markLetter(field, mark, marks) {
    var start = field.selectionStart === null ? field.value.length : field.selectionStart;
    var before = Array.from(field.value.slice(0, start).normalize("NFC"));
    if (!before.length) { return; }
    var letter = Array.from(before.pop().normalize("NFD")).filter(function (part) {
      return marks.indexOf(part) < 0;
    }).join("");
    var kept = before.join("") + (letter + mark).normalize("NFC");
    field.value = kept + field.value.slice(field.selectionEnd === null ? start : field.selectionEnd);
    field.setSelectionRange(kept.length, kept.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function deleteBefore(field) {
    var start = field.selectionStart === null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd === null ? field.value.length : field.selectionEnd;
    if (start === end && start > 0) {
      // A whole character, even one written with two code units or a combining mark.
      var before = Array.from(field.value.slice(0, start).normalize("NFC"));
      before.pop();
      var kept = before.join("");
      field.value = kept + field.value.slice(end);
      field.setSelectionRange(kept.length, kept.length);
    } else {
      field.value = field.value.slice(0, start) + field.value.slice(end);
      field.setSelectionRange(start, start);
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // The names of the display choices' arguments (size, contrast), as the server writes them into the page.
  var DISPLAY_ARGUMENTS = (document.documentElement.dataset.displayArguments || "").split(" ");

  function displayArguments() {
    var kept = new URLSearchParams();
    new URLSearchParams(location.search).forEach(function (value, key) {
      if (DISPLAY_ARGUMENTS.indexOf(key) !== -1) { kept.append(key, value); }
    });
    return kept;
  }

  function setUpKeyboard(field, markup) {
    var isSearch = field.type === "search";
    var form = field.form;
    var keyboard = null;
    var pinyin = "";
    var marks = [];
    var asked = 0;
    var waiting = null;

    function candidatesList() { return keyboard.querySelector(".keyboard-candidates"); }

    function showPinyin() {
      var shown = keyboard.querySelector(".keyboard-pinyin");
      if (shown) { shown.textContent = pinyin; }
    }

    function offer(found) {
      var list = candidatesList();
      list.textContent = "";
      found.words.forEach(function (word) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-quiet candidate-word";
        button.lang = "zh-Hans";
        button.textContent = word;
        button.addEventListener("click", function () {
          pinyin = "";
          showPinyin();
          typeInto(field, word);
        });
        item.appendChild(button);
        list.appendChild(item);
      });
      (isSearch ? found.completions : []).forEach(function (completion) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.className = "button candidate-link";
        link.href = completion.href;
        link.lang = completion.lang;
        link.dir = completion.dir;
        link.textContent = completion.text;
        item.appendChild(link);
        list.appendChild(item);
      });
    }

    // The strip says it is busy from the key that asks for new suggestions until they are shown (or none
    // come): what it shows meanwhile answers the letters before, and may change under a finger.
    function settled(question) {
      if (question === asked) { candidatesList().removeAttribute("aria-busy"); }
    }

    function askForSuggestions() {
      if (!keyboard.dataset.suggestions) { return; }
      clearTimeout(waiting);
      candidatesList().setAttribute("aria-busy", "true");
      waiting = setTimeout(function () {
        var typed = keyboard.dataset.spellsPinyin ? (pinyin || field.value) : field.value;
        var question = ++asked;
        if (!typed.trim()) { offer({ words: [], completions: [] }); settled(question); return; }
        var query = displayArguments();
        query.set("typed", typed);
        fetch(keyboard.dataset.suggestions + "?" + query.toString(), { credentials: "same-origin", cache: "no-store" })
          .then(function (response) { return response.ok ? response.json() : { words: [], completions: [] }; })
          .then(function (found) { if (question === asked) { offer(found); } })
          .catch(function () { /* no suggestions: the keys still work */ })
          .then(function () { settled(question); });
      }, 80);
    }

    function press(key) {
      if (keyboard.dataset.spellsPinyin && /^[a-z]$/.test(key)) {
        pinyin += key;
        showPinyin();
        askForSuggestions();
      } else {
        typeInto(field, key);
      }
    }

    function act(action) {
      if (action === "hide") { close(); return; }
      if (action === "clear") {
        pinyin = "";
        showPinyin();
        field.value = "";
        field.dispatchEvent(new Event("input", { bubbles: true }));
      } else if (action === "backspace") {
        if (pinyin) {
          pinyin = pinyin.slice(0, -1);
          showPinyin();
          askForSuggestions();
        } else {
          deleteBefore(field);
        }
      } else if (action === "space") {
        var first = keyboard.querySelector(".candidate-word");
        if (pinyin && first) { first.click(); } else { commitPinyin(); typeInto(field, " "); }
      } else if (action === "search" && form) {
        commitPinyin();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }

    // Letters spelled but no word chosen are searched as they are.
    function commitPinyin() {
      if (pinyin) {
        var letters = pinyin;
        pinyin = "";
        showPinyin();
        typeInto(field, letters);
      }
    }

    function open() {
      if (!keyboard) {
        var holder = document.createElement("div");
        holder.innerHTML = markup;
        keyboard = holder.firstElementChild;
        document.body.appendChild(keyboard);
        keepFocus(keyboard);
        keyboard.addEventListener("click", function (event) {
          var button = event.target.closest("button.key");
          if (!button) { return; }
          if (button.dataset.key) {
            press(button.dataset.key);
          } else if (button.dataset.mark) {
            markLetter(field, button.dataset.mark, marks);
          } else {
            act(button.dataset.action);
          }
        });
        marks = Array.prototype.map.call(keyboard.querySelectorAll("[data-mark]"), function (key) {
          return key.dataset.mark;
        });
        // The suggestions strip shows only with something in it: the room kept under the page follows.
        new ResizeObserver(function () {
          if (!keyboard.hidden) { document.body.style.setProperty("--keyboard-height", keyboard.offsetHeight + "px"); }
        }).observe(keyboard);
      }
      keyboards.set(field, keyboard);
      hideAllBut(keyboard);
      keyboard.hidden = false;
      document.body.classList.add("keyboard-open");
      document.body.style.setProperty("--keyboard-height", keyboard.offsetHeight + "px");
      field.scrollIntoView({ block: "nearest" });
    }

    function close() {
      if (!keyboard) { return; }
      keyboard.hidden = true;
      document.body.classList.remove("keyboard-open");
      field.blur();
    }

    // No system keyboard over the kiosk's own; typing on a real keyboard still works.
    field.setAttribute("inputmode", "none");
    field.addEventListener("focus", open);
    field.addEventListener("pointerdown", open);
    field.addEventListener("input", function () { if (keyboard && !keyboard.hidden) { askForSuggestions(); } });
    // Still the box touched last (perhaps by the touch that brought this file here): its keyboard is wanted.
    if (touched === field) { open(); }
  }

  // One keyboard at a time: the one of the box being typed in.
  var keyboards = new Map();
  function hideAllBut(keyboard) {
    document.querySelectorAll(".keyboard").forEach(function (other) { if (other !== keyboard) { other.hidden = true; } });
  }

  function setUpKeypad(keypad, field) {
    keypad.hidden = false;
    field.setAttribute("inputmode", "none");
    keepFocus(keypad);
    keypad.addEventListener("click", function (event) {
      var button = event.target.closest("button.key");
      if (!button) { return; }
      if (button.dataset.digit) {
        typeInto(field, button.dataset.digit);
      } else if (button.dataset.action === "backspace") {
        deleteBefore(field);
      } else if (button.dataset.action === "clear") {
        field.value = "";
      }
    });
  }

  // Each text box that names a keyboard gets it the first time it is touched. Another box's
  // keyboard goes at once, so that none of its keys types into the wrong box while this
  // box's keyboard is on its way; it opens when it comes if this box is still the one touched.
  var touched = null;
  function prepare(field) {
    touched = field;
    hideAllBut(keyboards.get(field));
    if (field.hasAttribute("data-keyboard-ready")) { return; }
    field.setAttribute("data-keyboard-ready", "true");
    // No keyboard (the server did not answer): the field still takes a real one, and the
    // room kept at the bottom for the keyboard hidden at the touch is given back.
    var without = function () {
      field.removeAttribute("data-keyboard-ready");  // the next touch asks again
      if (!document.querySelector(".keyboard:not([hidden])")) { document.body.classList.remove("keyboard-open"); }
    };
    fetch(field.dataset.keyboard, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (markup) { if (markup) { setUpKeyboard(field, markup); } else { without(); } })
      .catch(without);
  }
  document.querySelectorAll("[data-keyboard]").forEach(function (field) {
    field.addEventListener("focus", function () { prepare(field); });
    field.addEventListener("pointerdown", function () { prepare(field); });
    field.addEventListener("blur", function () { if (touched === field) { touched = null; } });
    if (document.activeElement === field) { prepare(field); }
  });
  var keypad = document.querySelector(".keypad");
  if (keypad && document.getElementById("pin")) { setUpKeypad(keypad, document.getElementById("pin")); }
})();
