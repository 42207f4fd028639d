// Tell the person when a live update (htmx) did not go through, instead of failing silently.
(function () {
  // Django's JavaScript catalogue (base.html loads it first) gives the words in the page's language;
  // without it the English stays.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (text, values, named) {
    return text.replace(/%\(\w+\)s/g, function (match) { return String(values[match.slice(2, -2)]); });
  };
  function say(text) {
    var box = document.getElementById("live-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    say(status === 403
      ? gettext("That was not saved: your session or permission has changed. Reload the page and sign in again.")
      : interpolate(gettext("That was not saved (the server answered %(status)s). Reload the page and try again."),
                    {status: status}, true));
  });
  document.addEventListener("htmx:sendError", function () {
    say(gettext("No connection: that was not saved. Check the network and try again."));
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("live-error");
    if (box && event.detail.successful) box.hidden = true;
  });
})();

// The chapter menu (templates/_nav_chapter.html) is the bar itself wider than a phone: app.css shows its closed
// content through ::details-content; a browser without that gets it opened here, and closed again on a phone.
(function () {
  if (!window.CSS || !CSS.supports || CSS.supports("selector(::details-content)")) return;
  var menu = document.querySelector(".chapter-menu");
  if (!menu || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 600px)");
  function follow() { menu.open = !phone.matches; }
  follow();
  if (phone.addEventListener) phone.addEventListener("change", follow);
})();
