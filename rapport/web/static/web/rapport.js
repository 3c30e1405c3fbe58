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
// Bulk work on a list: a header checkbox data-select-all="ids" ticks every row box of that name,
// the action bar counts the ticked rows and shows only the fields of the chosen action.
const bulkCount = () => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const ticked = document.querySelectorAll('input[name="ids"][form="bulk-form"]:checked').length;
  form.querySelectorAll("[data-bulk-count]").forEach((el) => { el.textContent = ticked; });
};
const bulkFields = () => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const action = form.elements.action.value;
  form.querySelectorAll("[data-bulk-for]").forEach((el) => {
    el.hidden = !el.dataset.bulkFor.split(" ").includes(action);
  });
};
document.addEventListener("change", (event) => {
  const all = event.target.closest && event.target.closest("[data-select-all]");
  if (all) {
    document.querySelectorAll(`input[type="checkbox"][name="${all.dataset.selectAll}"]`).forEach((box) => { box.checked = all.checked; });
  }
  if (event.target.id === "bulk-action") bulkFields();
  bulkCount();
});
document.addEventListener("DOMContentLoaded", () => { bulkFields(); bulkCount(); });
document.addEventListener("htmx:afterSwap", bulkCount);
// Search results: ArrowDown/ArrowUp move between result links (from the search box too), Enter
// opens the focused one (a link's own behaviour), Escape closes the header's dropdown.
document.addEventListener("keydown", (event) => {
  if (!["ArrowDown", "ArrowUp", "Escape"].includes(event.key)) return;
  const inBox = event.target.id === "global-q" || event.target.id === "search-q";
  const list = event.target.closest && event.target.closest("[data-search-results]");
  if (!inBox && !list) return;
  const scope = event.target.id === "global-q" ? document.getElementById("global-results") : document;
  if (event.key === "Escape") { const drop = document.getElementById("global-results"); if (drop) drop.innerHTML = ""; return; }
  const links = Array.from(scope.querySelectorAll("[data-search-results] li a"));
  if (!links.length) return;
  event.preventDefault();
  const at = links.indexOf(document.activeElement);
  const next = event.key === "ArrowDown" ? Math.min(at + 1, links.length - 1) : at - 1;
  if (next < 0) { const box = document.getElementById(inBox ? event.target.id : "search-q") || document.getElementById("global-q"); if (box) box.focus(); return; }
  links[next].focus();
});
// A "select all" box: <input type="checkbox" data-check-all="CSS selector of the boxes">.
document.addEventListener("change", (event) => {
  const all = event.target.closest && event.target.closest("[data-check-all]");
  if (!all) return;
  document.querySelectorAll(all.dataset.checkAll).forEach((box) => { box.checked = all.checked; });
});

// No htmx failure is ever silent. htmx swaps nothing for a 4xx/5xx answer by default, so:
// - a 400/422 answer that is a fragment (a form sent back with its errors) is swapped like a
//   200, so the errors appear where the person is looking;
// - any other refusal or failure (a whole page: 403, 404, 409, 429, 500…), a network error or a
//   timeout shows the refusal's own words, or a translated message, in the #htmx-error region
//   (web/htmx_errors.html, included once in the layout).
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (!xhr || xhr.status < 400) return;
  const text = xhr.responseText || "";
  const fragment = text && !/^\s*(<!doctype|<html)/i.test(text);
  if ((xhr.status === 400 || xhr.status === 422) && fragment) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

function showHtmxError(kind, xhr) {
  const region = document.getElementById("htmx-error");
  if (!region) return;
  let message = "";
  if (xhr && xhr.responseText) {
    const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const said = doc.querySelector("[data-error-message]");
    if (said) message = said.textContent.trim();
  }
  if (!message) {
    if (kind === "network") message = region.dataset.network;
    else if (xhr && xhr.status === 403) message = region.dataset.forbidden;
    else if (xhr && xhr.status === 404) message = region.dataset.notFound;
    else if (xhr && xhr.status >= 500) message = region.dataset.server;
    else message = region.dataset.refused;
  }
  region.querySelector("[data-text]").textContent = message;
  region.hidden = false;
  region.focus();
}
document.addEventListener("htmx:responseError", (event) => showHtmxError("response", event.detail.xhr));
document.addEventListener("htmx:sendError", () => showHtmxError("network"));
document.addEventListener("htmx:timeout", () => showHtmxError("network"));
document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-dismiss-htmx-error]");
  if (close) document.getElementById("htmx-error").hidden = true;
});
document.addEventListener("htmx:afterRequest", (event) => {
  // A later success clears an earlier failure's message.
  const region = document.getElementById("htmx-error");
  if (region && !region.hidden && event.detail.successful && event.detail.requestConfig && event.detail.requestConfig.verb !== "get") region.hidden = true;
});
