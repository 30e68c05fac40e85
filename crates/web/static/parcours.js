// On every page: when a form comes back with errors, the focus moves to the error summary, so that
// a screen reader reads what to correct first and a keyboard user starts from its links (RGAA 11.10).
// Progressive enhancement: without it, the summary is still the first thing in the content.
(function () {
  "use strict";
  var resume = document.getElementById("erreurs");
  if (resume && typeof resume.focus === "function") resume.focus();
})();
