// Search for Students: SEARCH fetches the results into the page (the page's address stays).
(function () {
  "use strict";
  var form = document.querySelector("form[data-search]");
  if (!form) { return; }
  var view = document.getElementById(form.getAttribute("data-results"));
  function run() {
    var query = new URLSearchParams(new FormData(form)).toString();
    window.AltView.load(view, form.getAttribute("data-view-url") + "?" + query);
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.type === "text") {
      event.preventDefault();
      run();
    }
  });
  form.querySelector("[data-search-run]").addEventListener("click", run);
  form.querySelector("[data-search-clear]").addEventListener("click", function () {
    form.querySelectorAll("input[type=text]").forEach(function (input) { input.value = ""; });
    form.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
    view.replaceChildren();
  });
  if (form.hasAttribute("data-autorun")) { run(); }
})();
