// A form marked data-confirm="question" asks the question before it is sent: for an
// action that takes effect at once and is not undone by the same screen (revoking a
// token, locking a study's database).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
