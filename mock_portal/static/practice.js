// Practice sessions: the Stop Session and Deny Student dialogs, the Approvals tab's refresh
// every 30 seconds, and the student's waiting page asking every few seconds whether a decision
// was made. The hooks are data-* attributes, so the markup stays plain HTML.
(function () {
  "use strict";

  document.querySelectorAll("button[data-open-dialog]").forEach(function (button) {
    button.addEventListener("click", function () {
      document.getElementById(button.getAttribute("data-open-dialog")).showModal();
    });
  });

  document.querySelectorAll("button[data-deny]").forEach(function (button) {
    button.addEventListener("click", function () {
      var dialog = document.getElementById("deny-dialog");
      var reason = document.getElementById("deny-reason");
      document.getElementById("deny-student").value = button.getAttribute("data-deny");
      document.getElementById("deny-who").textContent = "Student: " + button.getAttribute("data-name");
      reason.value = "";
      dialog.showModal();
      reason.focus();
    });
  });

  document.querySelectorAll("dialog button[data-close-dialog]").forEach(function (button) {
    button.addEventListener("click", function () { button.closest("dialog").close(); });
  });

  var refreshed = document.querySelector("[data-refresh-seconds]");
  if (refreshed) {
    var reload = function () {
      // A reload now would lose the reason being typed: try again shortly.
      if (document.querySelector("dialog[open]")) { window.setTimeout(reload, 5000); return; }
      window.location.reload();
    };
    window.setTimeout(reload, Number(refreshed.getAttribute("data-refresh-seconds")) * 1000);
  }

  var polled = document.querySelector("[data-poll-url]");
  if (polled) {
    var url = polled.getAttribute("data-poll-url");
    var every = Number(polled.getAttribute("data-poll-seconds")) * 1000;
    var check = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          // The page itself knows where each new state belongs: reload it.
          if (body && body.state !== "waiting") { window.location.reload(); return; }
          window.setTimeout(check, every);
        })
        .catch(function () { window.setTimeout(check, every); });
    };
    window.setTimeout(check, every);
  }
})();
