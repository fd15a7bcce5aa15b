// Keyboard shortcuts for the study screen. The only script we ship besides htmx:
// each key clicks the button that carries the matching data-key, so the keyboard
// path and the mouse/no-JS path are the same forms.
(function () {
  "use strict";

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function keyName(event) {
    if (event.key === " " || event.key === "Enter") return "show";
    if (event.key === "u" || event.key === "U") return "undo";
    if (/^[1-4]$/.test(event.key)) return event.key;
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    // Enter on a focused button or link keeps its native meaning.
    if (event.key === "Enter" && event.target && /^(BUTTON|A)$/.test(event.target.tagName)) return;
    var name = keyName(event);
    if (!name) return;
    var study = document.getElementById("study");
    if (!study || study.classList.contains("htmx-request")) return;
    var button = study.querySelector('[data-key="' + name + '"]');
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  // After a swap, move focus into the new card so screen readers and Tab follow along.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "study") {
      var heading = event.target.querySelector(".front, h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  });
})();
