// Student Profile: section links whose panels are in the page show them without a request;
// Test Assignments is fetched into its view. In the view, COND. CODE opens a dialog beside the
// table whose SAVE only stages the code; the bottom SAVE posts by script and shows the view
// the portal sends back (204: nothing changes).
(function () {
  "use strict";
  var view = document.getElementById("x-assignments-view");
  function load(init) {
    return window.AltView.load(view, view.getAttribute("data-view-url"), init);
  }

  var links = document.querySelectorAll("a[data-panel]");
  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      links.forEach(function (other) {
        if (other === link) { other.setAttribute("aria-current", "page"); } else { other.removeAttribute("aria-current"); }
      });
      document.querySelectorAll(".x-panel[id]").forEach(function (panel) {
        panel.hidden = panel.id !== link.getAttribute("data-panel");
      });
      if (view && link.getAttribute("data-panel") === "x-panel-assignments" && !view.hasAttribute("data-loaded")) {
        load();
      }
    });
  });
  if (!view) { return; }

  var current = null;
  var opener = null;
  function find(selector) { return view.querySelector(selector); }
  function close() {
    find("[data-cc-dialog]").hidden = true;
    if (opener) { opener.focus(); }
  }

  view.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) { return; }
    var el = event.target.closest("[data-cc],[data-cc-cancel],[data-cc-save]");
    if (!el) { return; }
    event.preventDefault();
    var select = find("[data-cc-select]");
    var error = find("[data-cc-error]");
    if (el.hasAttribute("data-cc")) {
      current = el.getAttribute("data-cc");
      opener = el;
      select.value = "";
      error.hidden = true;
      find("[data-cc-dialog]").hidden = false;
      select.focus();
    } else if (el.hasAttribute("data-cc-cancel")) {
      close();
    } else {
      if (!select.value) {
        error.hidden = false;
        select.focus();
        return;
      }
      var code = select.options[select.selectedIndex].getAttribute("data-code");
      find('[data-code-cell="' + current + '"]').textContent = code;
      find('[data-code-input="' + current + '"]').value = select.value;
      var saved = find("[data-saved]");
      if (saved) { saved.hidden = true; }
      find("[data-unsaved]").hidden = false;
      close();
    }
  });

  view.addEventListener("keydown", function (event) {
    var dialog = find("[data-cc-dialog]");
    if (event.key === "Escape" && dialog && !dialog.hidden) { close(); }
  });

  view.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-save-form")) { return; }
    event.preventDefault();
    load({ method: "POST", body: new URLSearchParams(new FormData(form)) });
  });

  if (view.hasAttribute("data-autoload")) { load(); }
})();
