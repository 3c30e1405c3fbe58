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
// Behaviour bound here, never inline, so the Content-Security-Policy can forbid inline script.
document.addEventListener("keydown", (event) => {
  // Ctrl/⌘+Enter sends the form of a field marked data-submit-on-ctrl-enter (the quick log).
  const field = event.target.closest && event.target.closest("[data-submit-on-ctrl-enter]");
  if (field && (event.ctrlKey || event.metaKey) && event.key === "Enter") {
    event.preventDefault();
    field.form.requestSubmit();
  }
});
document.addEventListener("change", (event) => {
  // A filter marked data-autosubmit applies as soon as it changes.
  if (event.target.matches && event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
});
// Copy buttons: <button data-copy="#input-id" data-copied="Copied">.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  source.select();
  const done = () => { const label = button.textContent; button.textContent = button.dataset.copied || label; setTimeout(() => { button.textContent = label; }, 1500); };
  if (navigator.clipboard) navigator.clipboard.writeText(source.value).then(done, () => { document.execCommand("copy"); done(); });
  else { document.execCommand("copy"); done(); }
});
document.addEventListener("focusin", (event) => {
  // A read-only link to copy (the tracking link) is selected whole when focused.
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
