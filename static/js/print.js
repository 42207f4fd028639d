// A "Print" button ([data-print]) opens the browser's print dialog; the print stylesheet does the rest.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });
})();
