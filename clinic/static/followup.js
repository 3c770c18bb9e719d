// Live ODI / NDI total while typing (the server computes it again on saving).
// Total % = sum / (5 × sections answered) × 100; at most one section may be blank.
(function () {
  "use strict";
  function parse(text) {
    var t = text.trim();
    if (t === "") return null;
    if (!/^[0-9]+([.,]0+)?$/.test(t)) return NaN;  // "3.0" is 3, as the server reads it
    return parseInt(t, 10);
  }
  function update(fieldset) {
    var inputs = fieldset.querySelectorAll("input[data-section]");
    var out = fieldset.querySelector("output[data-total-for]");
    var sum = 0, answered = 0, bad = 0;
    inputs.forEach(function (input) {
      var v = parse(input.value);
      var invalid = Number.isNaN(v) || (v !== null && (v < 0 || v > 5));
      input.classList.toggle("out-of-range", invalid);
      if (invalid) { bad += 1; return; }
      if (v !== null) { sum += v; answered += 1; }
    });
    var missing = inputs.length - answered - bad;
    if (bad) { out.textContent = "— (" + bad + " section" + (bad > 1 ? "s" : "") + " not a whole number from 0 to 5)"; }
    else if (answered === 0) { out.textContent = "—"; }
    else if (missing > 1) { out.textContent = "not computable (" + missing + " sections blank; at most 1 may be)"; }
    else {
      var pct = Math.round(sum * 100 / (5 * answered) * 100) / 100;
      out.textContent = pct.toFixed(pct % 1 === 0 ? 0 : 2) + " % (sum " + sum + " of " + (5 * answered) + ")";
    }
  }
  document.querySelectorAll("fieldset[data-sections]").forEach(function (fieldset) {
    fieldset.addEventListener("input", function () { update(fieldset); });
    update(fieldset);
  });
})();

// The six statements of a section: a click types the score into the section's box.
(function () {
  "use strict";
  document.querySelectorAll("button.statement").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.for);
      if (!input) return;
      input.value = button.dataset.value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      button.closest("ol").querySelectorAll("button.statement").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      input.focus();
    });
  });
  document.querySelectorAll("input[data-section]").forEach(function (input) {
    input.addEventListener("input", function () {
      var list = input.parentElement.querySelector("ol.statements");
      if (!list) return;
      list.querySelectorAll("button.statement").forEach(function (b) {
        b.setAttribute("aria-pressed", b.dataset.value === input.value.trim() ? "true" : "false");
      });
    });
  });
})();

// Enter moves to the next field instead of saving (the form's default button is
// disabled as well, so nothing is saved by Enter even without this script).
(function () {
  "use strict";
  var form = document.getElementById("followup-form");
  if (!form) return;
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.tagName === "TEXTAREA" || target.tagName === "BUTTON") return;
    event.preventDefault();
    var fields = Array.prototype.filter.call(
      form.querySelectorAll("input:not([type=hidden]), select, textarea"),
      function (el) { return !el.disabled && el.offsetParent !== null; });
    var next = fields[fields.indexOf(target) + 1];
    if (next) next.focus();
  });
  // Focus: the first refused field after a refused save (of the scores, or of "not
  // done" further down: its reason), else the first field; not when the nurse has
  // already moved into the form (a slow page: the script ran late).
  var busy = document.activeElement && document.activeElement !== document.body;
  var refused = form.querySelector("[aria-invalid=true]") ||
    document.querySelector("form.not-done [aria-invalid=true]");
  var first = refused || form.querySelector("input:not([type=hidden]):not([disabled]), select");
  if (first && !busy) first.focus();
})();
