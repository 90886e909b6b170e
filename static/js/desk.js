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

/* --- Queue: keys and ticking on the case queue (cases:queue) ------------------------------
   j/k move between rows, Enter opens the case, x ticks it, / goes to the search box and
   Escape leaves it. Listeners sit on the document, so they work again after htmx swaps the
   table. Without this file the queue is plain links, forms and checkboxes. */
(function () {
  "use strict";

  function isTyping(element) {
    if (!element || !element.tagName) return false;
    if (element.isContentEditable) return true;
    if (element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    if (element.tagName !== "INPUT") return false;
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(element.type) < 0;
  }

  function queueRows(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-queue-row]"));
  }

  function currentRow(table) {
    var active = document.activeElement;
    var focused = active && table.contains(active) ? active.closest("tr[data-queue-row]") : null;
    return focused || table.querySelector("tr[data-queue-row].is-current");
  }

  function moveTo(table, row) {
    table.querySelectorAll("tr.is-current").forEach(function (other) {
      other.classList.remove("is-current");
    });
    row.classList.add("is-current");
    var link = row.querySelector("[data-queue-open]");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var table = document.querySelector("[data-queue-table]");
    var search = document.querySelector("[data-queue-search]");
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && search && event.target === search) {
      event.preventDefault();  // leave the box but keep the search (Escape would clear it)
      search.blur();
      return;
    }
    if (isTyping(event.target) || !(table || search)) return;
    if (event.key === "/" && search) {
      event.preventDefault();
      search.focus();
      search.select();
      return;
    }
    if (!table) return;
    var rows = queueRows(table);
    var row = currentRow(table);
    var index = rows.indexOf(row);
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      var step = event.key === "j" ? 1 : -1;
      index = index < 0 ? (step > 0 ? 0 : rows.length - 1) : index + step;
      if (rows[index]) moveTo(table, rows[index]);
    } else if (event.key === "Enter" && row && !event.target.closest("a, button")) {
      var link = row.querySelector("[data-queue-open]");
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    } else if (event.key === "x" && row) {
      var box = row.querySelector("input[type=checkbox]");
      if (box) {
        event.preventDefault();
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  });

  // The "tick every case on this page" box, and its mixed state when only some are ticked.
  document.addEventListener("change", function (event) {
    var table = event.target.closest && event.target.closest("[data-queue-table]");
    if (!table || event.target.type !== "checkbox") return;
    var all = table.querySelector("[data-queue-select-all]");
    var boxes = table.querySelectorAll("tbody input[type=checkbox]");
    if (event.target === all) {
      boxes.forEach(function (box) { box.checked = all.checked; });
    } else if (all) {
      var ticked = table.querySelectorAll("tbody input[type=checkbox]:checked").length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  });

  // Filters left empty stay out of the address: "?status=new", not "?q=&status=new&kind=…".
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (event.detail.verb !== "get" || !source.closest("[data-queue], [data-queue-search]")) return;
    var data = event.detail.formData;
    var empty = [];
    data.forEach(function (value, name) {
      if (value === "" && data.getAll(name).every(function (v) { return v === ""; })) empty.push(name);
    });
    empty.forEach(function (name) { data.delete(name); });
  });
})();
