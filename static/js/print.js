/* The print toolbar's button (templates/print/base.html): no inline handler, so a CSP can forbid inline script. */
(function () {
  "use strict";
  document.querySelectorAll("[data-wx-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
