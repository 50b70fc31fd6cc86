// Condition code dialog: its SAVE only stages the code in the table and the bottom form.
// Nothing is stored until the bottom SAVE; reloading or leaving the page drops the change.
(function () {
  "use strict";
  var dialog = document.getElementById("cond-code-dialog");
  if (!dialog) { return; }
  var select = document.getElementById("cond-code-select");
  var error = document.getElementById("cond-code-error");
  var unsaved = document.getElementById("unsaved-notice");
  var current = null;
  var opener = null;

  document.querySelectorAll("button[data-test-key]").forEach(function (button) {
    button.addEventListener("click", function () {
      current = button.getAttribute("data-test-key");
      opener = button;
      select.value = "";
      error.hidden = true;
      dialog.showModal();
      select.focus();
    });
  });

  document.getElementById("cond-code-cancel").addEventListener("click", function () {
    dialog.close();
  });

  dialog.addEventListener("close", function () {
    if (opener) { opener.focus(); }
  });

  document.getElementById("cond-code-save").addEventListener("click", function () {
    if (!select.value) {
      error.hidden = false;
      select.focus();
      return;
    }
    document.getElementById("code-cell-" + current).textContent = select.value;
    document.getElementById("code-input-" + current).value = select.value;
    var saved = document.getElementById("saved-notice");
    if (saved) { saved.hidden = true; }
    unsaved.hidden = false;
    dialog.close();
  });
})();
