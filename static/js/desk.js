/* Advocacy Desk: small enhancements. Every page works without this file. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  // Forms with data-confirm ask before submitting (e.g. revoking an API key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Buttons with data-copy="#selector" copy that element's text to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var status = button.closest("section") && button.closest("section").querySelector("[role=status]");
    var label = button.getAttribute("data-copied-label") || "Copied";
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (status) status.textContent = label;
    }, function () {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    });
  });

  // Close the user menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  ready(function () {
    // Copy buttons only work with the clipboard API: show them only then.
    if (navigator.clipboard) {
      document.querySelectorAll("[data-copy][hidden]").forEach(function (button) {
        button.hidden = false;
      });
    }
    var focusTarget = document.querySelector("[data-autofocus]");
    if (focusTarget) focusTarget.focus();
  });
})();
