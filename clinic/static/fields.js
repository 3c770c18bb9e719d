// A text pasted into a field with a maxlength is cut by the browser without a word, the
// end of a drug's name or of a reason lost unseen: a note under the field says so, with
// the lengths, until the next paste fits.
document.addEventListener("paste", function (event) {
  var field = event.target;
  var limit = field && field.maxLength;
  if (!limit || limit < 0 || !event.clipboardData) {
    return;
  }
  var pasted = event.clipboardData.getData("text").replace(/\r?\n/g, field.tagName === "TEXTAREA" ? "\n" : "");
  var replaced = 0;
  try {
    replaced = (field.selectionEnd || 0) - (field.selectionStart || 0);
  } catch (notText) {  // e-mail fields have no selection to read
    replaced = field.value.length;
  }
  var id = (field.id || field.name) + "-cut";
  var note = document.getElementById(id);
  if (field.value.length - replaced + pasted.length <= limit) {
    if (note) {
      note.remove();
    }
    return;
  }
  if (!note) {
    note = document.createElement("p");
    note.id = id;
    note.className = "error";
    note.setAttribute("role", "alert");
    field.insertAdjacentElement("afterend", note);
  }
  note.textContent = "The pasted text has " + pasted.length + " characters; this field keeps " +
    limit + ", and the rest was cut. Check what is left, or shorten it.";
});

// A refused form comes back at its place on the page (an address with a #fragment, say
// a visit's Reopen form), its refused field marked autofocus; a browser skips autofocus
// when the address names a place, and going to that place once the page is read takes
// the focus away again, so the field is given the focus here, once the page has loaded.
window.addEventListener("load", function () {
  var field = document.querySelector("[autofocus]");
  if (field && document.activeElement !== field && field.offsetParent !== null) {
    field.focus();
  }
});
