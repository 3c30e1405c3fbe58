// Knowledge suggestions: <button data-kb-insert="text" data-kb-target="id_reply-body"> puts the
// text into the reply box at the cursor (or at the end) and opens the reply form if it is folded.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-kb-insert]");
  if (!button) return;
  const box = document.getElementById(button.dataset.kbTarget);
  if (!box) return;
  const details = box.closest("details");
  if (details) details.open = true;
  const text = button.dataset.kbInsert;
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  const before = box.value.slice(0, start);
  const glue = before && !before.endsWith("\n") ? "\n" : "";
  box.value = before + glue + text + box.value.slice(end);
  const caret = (before + glue + text).length;
  box.focus();
  box.setSelectionRange(caret, caret);
  box.dispatchEvent(new Event("input", { bubbles: true }));
});
