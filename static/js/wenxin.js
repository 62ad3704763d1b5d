/* Behaviour every page shares. In a file, with no inline handlers (hx-on included), so a Content Security
   Policy can forbid inline script and eval. */
(function () {
  "use strict";

  // An htmx form marked data-wx-remove-after-request goes away once its request succeeded (the reveal button
  // of an ID number, say, whose answer replaces the masked number).
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail.elt;
    if (event.detail.successful && element.matches("[data-wx-remove-after-request]")) {
      element.remove();
    }
  });
})();
