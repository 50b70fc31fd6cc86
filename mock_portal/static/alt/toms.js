// TOMS top page: the content frame gets its address from this script, a moment after the
// page loads, and again when a tab is chosen (the page itself does not reload).
(function () {
  "use strict";
  var frame = document.querySelector("iframe[data-src]");
  if (!frame) { return; }
  var delay = Number(frame.getAttribute("data-delay-ms") || 0);
  var pending = null;
  function open(src) {
    if (pending !== null) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () { pending = null; frame.src = src; }, delay);
  }
  var tabs = document.querySelectorAll("[role=tab][data-frame-src]");
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      tabs.forEach(function (other) {
        other.setAttribute("aria-selected", other === tab ? "true" : "false");
      });
      window.history.replaceState(null, "", "?tab=" + encodeURIComponent(tab.getAttribute("data-tab")));
      open(tab.getAttribute("data-frame-src"));
    });
  });
  open(frame.getAttribute("data-src"));
})();
