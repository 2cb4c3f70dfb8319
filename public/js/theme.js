// The reader chose "auto" (the server rendered no data-bs-theme): apply the system's colour scheme before the
// first paint and follow it when it changes. A classic script in <head> on purpose: a module or a deferred
// script runs after the page has been painted, which would flash the wrong scheme. The CSP allows it ('self').
(function () {
  var root = document.documentElement;
  if (root.getAttribute("data-theme") !== "auto") return;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    root.setAttribute("data-bs-theme", dark.matches ? "dark" : "light");
  }
  apply();
  dark.addEventListener("change", apply);
})();
