// Desk log form: keeps a half-typed contact across a reload in sessionStorage (this tab only, cleared
// once the contact is recorded). Progressive enhancement: the form works without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-brouillon]");
  if (!form || !window.sessionStorage) return;
  var key = "parcours." + form.getAttribute("data-brouillon");
  var skip = { _csrf: true, q: true };
  if (form.getAttribute("data-enregistre") === "oui") {
    // Recorded: forget the draft, and drop the notice from the address so that a reload of the next,
    // half-typed entry restores it.
    sessionStorage.removeItem(key);
    if (window.history && history.replaceState) history.replaceState(null, "", location.pathname);
  }
  // After a person search the server's choice of person wins over the draft's.
  var keepServer = form.getAttribute("data-recherche") === "oui";

  function save() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || el.type === "hidden" || el.type === "submit") return;
      if (el.type === "radio") {
        if (el.checked) data[el.name] = el.value;
      } else {
        data[el.name] = el.value;
      }
    });
    try { sessionStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or off */ }
  }

  function restore() {
    var raw = sessionStorage.getItem(key);
    if (!raw) return;
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || !(el.name in data)) return;
      if (keepServer && el.name === "personne_id") return;
      if (el.type === "radio") {
        el.checked = el.value === data[el.name];
      } else if (el.type !== "hidden" && el.type !== "submit") {
        el.value = data[el.name];
      }
    });
  }

  restore();
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  // The person search sends the fields typed so far, so that the search page keeps them.
  var search = document.getElementById("accueil-recherche");
  if (search) {
    search.addEventListener("submit", function () {
      save();
    });
  }
})();
