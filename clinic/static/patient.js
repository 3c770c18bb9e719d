// The pain slider: shown only with JavaScript, kept in step with the typed number
// (the number field is what is sent; without JavaScript it works alone).
(function () {
  var slider = document.getElementById("slider");
  var field = document.getElementById("answer");
  if (!slider || !field) { return; }
  slider.hidden = false;
  var label = document.querySelector(".slider-label");
  if (label) { label.hidden = false; }
  if (field.value === "") { slider.classList.add("untouched"); }
  slider.addEventListener("input", function () {
    slider.classList.remove("untouched");
    field.value = slider.value;
  });
  field.addEventListener("input", function () {
    var value = parseFloat(field.value.replace(",", "."));
    if (!isNaN(value) && value >= 0 && value <= 10) {
      slider.value = value;
      slider.classList.remove("untouched");
    }
  });
})();
