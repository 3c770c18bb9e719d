// Show only the fields the chosen modality records (the server refuses the others).
// Hidden sections have their inputs disabled, so their values are not submitted.
(function () {
  "use strict";
  var form = document.getElementById("procedure-form");
  if (!form) return;
  var modality = form.querySelector("#modality");
  var type = form.querySelector("#procedure_type");
  function toggle(section, visible) {
    section.hidden = !visible;
    section.querySelectorAll("input, select").forEach(function (el) { el.disabled = !visible; });
  }
  function update() {
    var any = false;
    form.querySelectorAll("[data-modalities]").forEach(function (section) {
      var show = section.dataset.modalities.split(" ").indexOf(modality.value) >= 0;
      any = any || show;
      toggle(section, show);
    });
    document.getElementById("no-radiation").hidden = any || modality.value === "";
    form.querySelectorAll("[data-procedure-types]").forEach(function (section) {
      toggle(section, section.dataset.procedureTypes.split(" ").indexOf(type.value) >= 0);
    });
  }
  modality.addEventListener("change", update);
  type.addEventListener("change", update);
  update();
})();
