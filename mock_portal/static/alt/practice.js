// Practice sessions (alt): the in-person start control, the deny dialog, the Approvals list
// reloaded every 30 seconds, and the student's waiting page asking whether a decision was made.
(function () {
  "use strict";

  document.querySelectorAll("[data-mode]").forEach(function (control) {
    control.addEventListener("click", function () {
      var form = control.closest("form");
      var mode = document.createElement("input");
      mode.type = "hidden";
      mode.name = "mode";
      mode.value = control.getAttribute("data-mode");
      form.appendChild(mode);
      form.submit();
    });
  });

  document.querySelectorAll("[data-deny]").forEach(function (control) {
    control.addEventListener("click", function () {
      var dialog = document.getElementById("x-deny-dialog");
      dialog.querySelector("[data-deny-student]").value = control.getAttribute("data-deny");
      dialog.querySelector("[data-deny-who]").textContent = control.getAttribute("data-name");
      var reason = dialog.querySelector("textarea");
      reason.value = "";
      dialog.hidden = false;
      reason.focus();
    });
  });

  var reloaded = document.querySelector("[data-reload-every]");
  if (reloaded) {
    var reload = function () {
      // A reload now would lose what is being typed in an open dialog: try again shortly.
      if (document.querySelector("[role=dialog]:not([hidden]),[role=alertdialog]:not([hidden])")) {
        window.setTimeout(reload, 5000);
        return;
      }
      window.location.reload();
    };
    window.setTimeout(reload, Number(reloaded.getAttribute("data-reload-every")) * 1000);
  }

  var polled = document.querySelector("[data-poll-url]");
  if (polled) {
    var url = polled.getAttribute("data-poll-url");
    var every = Number(polled.getAttribute("data-poll-seconds")) * 1000;
    var check = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && body.state !== "waiting") { window.location.reload(); return; }
          window.setTimeout(check, every);
        })
        .catch(function () { window.setTimeout(check, every); });
    };
    window.setTimeout(check, every);
  }
})();
