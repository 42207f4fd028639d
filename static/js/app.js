// Tell the person when a live update (htmx) did not go through, instead of failing silently.
(function () {
  function say(text) {
    var box = document.getElementById("live-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    say(status === 403
      ? "That was not saved: your session or permission has changed. Reload the page and sign in again."
      : "That was not saved (the server answered " + status + "). Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    say("No connection: that was not saved. Check the network and try again.");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("live-error");
    if (box && event.detail.successful) box.hidden = true;
  });
})();
