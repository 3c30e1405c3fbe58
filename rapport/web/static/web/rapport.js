// Small progressive enhancements; every page works without this file.
document.addEventListener("keydown", (event) => {
  // "/" focuses the global search, as in most service tools.
  if (event.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
    const search = document.getElementById("global-q");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  }
});
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target.querySelector("[autofocus]");
  if (target) target.focus();
});
