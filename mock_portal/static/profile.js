// Student Profile tabs whose panels are already in the page: show the panel, ask nothing.
(function () {
  "use strict";
  var tabs = document.querySelectorAll("[role=tab]");
  tabs.forEach(function (tab) {
    var panelId = tab.getAttribute("aria-controls");
    if (!panelId) { return; }
    tab.addEventListener("click", function (event) {
      event.preventDefault();
      tabs.forEach(function (other) {
        other.setAttribute("aria-selected", other === tab ? "true" : "false");
      });
      document.querySelectorAll("[role=tabpanel][id]").forEach(function (panel) {
        panel.hidden = panel.id !== panelId;
      });
    });
  });
})();
