// Live ODI / NDI total while typing (the server computes it again on saving).
// Total % = sum / (5 × sections answered) × 100; at most one section may be blank.
(function () {
  "use strict";
  function parse(text) {
    var t = text.trim();
    if (t === "") return null;
    if (!/^[0-9]+$/.test(t)) return NaN;
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
    if (bad) { out.textContent = "— (" + bad + " section" + (bad > 1 ? "s" : "") + " outside 0–5)"; }
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
