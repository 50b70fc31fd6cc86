// The alt build's shared behaviour: controls that are not <button>s, navigation by script,
// dialogs shown and hidden by data-* hooks, and views filled by script (AltView.load).
(function () {
  "use strict";

  // Elements given role=button or role=tab without being a <button> or an <input>: Enter and
  // Space click them.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!(el instanceof Element)) { return; }
    var role = el.getAttribute("role");
    if (role !== "button" && role !== "tab") { return; }
    if (el.tagName === "BUTTON" || el.tagName === "INPUT") { return; }
    if (el.tagName === "A" && el.hasAttribute("href") && event.key === "Enter") { return; }
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      el.click();
    }
  });

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) { return; }
    var el = event.target.closest("[data-href],[data-submit-form],[data-show],[data-hide]");
    if (!el || el.getAttribute("aria-disabled") === "true") { return; }
    event.preventDefault();
    if (el.hasAttribute("data-href")) {
      window.location.href = el.getAttribute("data-href");
    } else if (el.hasAttribute("data-submit-form")) {
      el.closest("form").requestSubmit();
    } else if (el.hasAttribute("data-show")) {
      var shown = document.getElementById(el.getAttribute("data-show"));
      shown.hidden = false;
      var first = shown.querySelector("input:not([type=hidden]),textarea,select,button,[role=button]");
      if (first) { first.focus(); }
    } else {
      document.getElementById(el.getAttribute("data-hide")).hidden = true;
    }
  });

  // Views filled by script. While one loads it is aria-busy and an overlay covers it (and the
  // controls of its [data-view-cover] container); whatever comes back is shown in it: the view,
  // an error page's content, or, for an ended session, the window goes to the logon page.
  function show(view, text) {
    var doc = new DOMParser().parseFromString(text, "text/html");
    var away = doc.querySelector("a[target=_top]");
    if (away) {
      window.top.location.href = away.getAttribute("href");
      return;
    }
    var part = doc.querySelector("[data-view-part]") || doc.querySelector("main,[role=main]") || doc.body;
    view.innerHTML = part.innerHTML;
    view.setAttribute("data-loaded", "");
  }

  function load(view, url, init) {
    var cover = view.closest("[data-view-cover]") || view;
    var overlay = document.createElement("div");
    overlay.className = "x-loading";
    overlay.setAttribute("role", "progressbar");
    overlay.setAttribute("aria-label", "Loading");
    overlay.textContent = "Loading…";
    cover.classList.add("x-covered");
    cover.appendChild(overlay);
    view.setAttribute("aria-busy", "true");
    var delay = Number(view.getAttribute("data-delay-ms") || 0);
    var options = Object.assign({ credentials: "same-origin", cache: "no-store" }, init || {});
    return new Promise(function (resolve) { window.setTimeout(resolve, delay); })
      .then(function () { return fetch(url, options); })
      .then(function (response) {
        // 204: the portal had nothing to say; the view stays as it is.
        if (response.status === 204) { return null; }
        return response.text().then(function (text) { show(view, text); });
      })
      .catch(function () {
        var failed = document.createElement("div");
        failed.setAttribute("role", "alert");
        failed.className = "x-msg x-msg-bad";
        failed.textContent = view.getAttribute("data-failed-text") || "";
        view.replaceChildren(failed);
      })
      .finally(function () {
        overlay.remove();
        cover.classList.remove("x-covered");
        view.setAttribute("aria-busy", "false");
      });
  }

  window.AltView = { load: load };
})();
