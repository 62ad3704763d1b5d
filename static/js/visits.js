/* The visit form: small enhancements on top of a form that works without JavaScript.
   Kept in a file, with no inline handlers, so a Content Security Policy can forbid inline script. */
(function () {
  "use strict";

  var form = document.querySelector("[data-wx-visit-form]");
  if (!form) {
    return;
  }

  // Show only the target field of the chosen kind (without JavaScript every one shows; the form uses the
  // one the kind needs and ignores the rest).
  var kind = form.querySelector("[data-wx-kind]");
  function showTargetOfKind() {
    form.querySelectorAll("[data-wx-target-for]").forEach(function (section) {
      section.hidden = section.dataset.wxTargetFor.split(" ").indexOf(kind.value) === -1;
    });
  }
  if (kind) {
    kind.addEventListener("change", showTargetOfKind);
    showTargetOfKind();
  }

  // A household picked from the search results becomes the chosen one, so the next search cannot lose it.
  form.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches("[data-wx-pick]")) {
      return;
    }
    var results = radio.closest("[data-wx-results]");
    if (!results) {
      return;
    }
    var chosen = document.getElementById(results.dataset.wxResults);
    var list = document.createElement("div");
    list.className = "list-group";
    list.appendChild(radio.closest("[data-wx-pick-item]"));
    chosen.replaceChildren(list);
    results.replaceChildren();
    var search = form.querySelector("[data-wx-live-search]");
    if (search) {
      search.value = "";
    }
  });

  // Enter searches in the search box and does nothing in the other one-line fields: the form is saved only
  // with its save button, never half-filled by a stray Enter on a phone keyboard.
  form.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || field.tagName !== "INPUT") {
      return;
    }
    event.preventDefault();
    if (field.matches("[data-wx-live-search]") && window.htmx) {
      window.htmx.trigger(field, "search");
    }
  });
})();
