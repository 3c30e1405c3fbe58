/* The phrasing coach and the `/` phrase picker on every reply box (textarea[data-coach]).
 *
 * As the representative types (debounced), the draft is posted to the coach; each discouraged
 * phrasing is listed under the box with its rule and preferred form, and "Replace" swaps it in one
 * click. The rules shown while writing go with the form as `coach_shown`, so the server records,
 * when the reply is sent, which were shown and which were fixed. Sending is never blocked.
 *
 * Typing "/" at the start of a word opens the phrase library: type to filter, ↑/↓ to choose,
 * Enter inserts the phrase with the customer's name and yours filled in, Esc closes.
 */
(function () {
  "use strict";
  var DEBOUNCE_MS = 400;
  var config = null;

  function conf() {
    if (config) return config;
    var meta = document.querySelector('meta[name="assist"]');
    config = meta ? meta.dataset : null;
    return config;
  }

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (e) { /* fall through */ }
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function attach(box) {
    if (box.dataset.coachReady) return;
    box.dataset.coachReady = "1";
    var c = conf();
    if (!c) return;
    var form = box.form;
    var shown = new Set();
    var hidden = null;
    if (form) {
      hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "coach_shown";
      form.appendChild(hidden);
    }
    var panel = el("div", "coach-panel");
    panel.setAttribute("role", "status");
    panel.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", panel);
    var picker = el("div", "phrase-picker");
    picker.hidden = true;
    picker.setAttribute("role", "listbox");
    picker.setAttribute("aria-label", c.picker);
    panel.insertAdjacentElement("afterend", picker);

    var timer = null;
    var sequence = 0;

    function check() {
      var mine = ++sequence;
      var body = new URLSearchParams();
      body.set("text", box.value);
      body.set("language", box.dataset.language || "zh-hans");
      fetch(c.coachUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString(),
        credentials: "same-origin",
      })
        .then(function (r) { return r.ok ? r.json() : { flags: [] }; })
        .then(function (data) { if (mine === sequence) render(data.flags || []); })
        .catch(function () { /* the coach is advice: a failed check changes nothing */ });
    }

    function render(flags) {
      panel.textContent = "";
      flags.forEach(function (f) { shown.add(f.rule); });
      if (hidden) hidden.value = Array.from(shown).join(",");
      if (!flags.length) return;
      var head = el("div", "coach-head", c.checking);
      panel.appendChild(head);
      var list = el("ul", "coach-flags");
      flags.forEach(function (f) {
        var item = el("li", "coach-flag");
        item.dataset.rule = f.rule;
        item.appendChild(el("mark", "coach-text", f.text));
        item.appendChild(el("strong", "coach-rule", f.label));
        if (f.message) item.appendChild(el("span", "coach-message", f.message));
        item.appendChild(el("span", "coach-preferred", c.preferred + "：" + f.suggestion));
        if (f.replacement) {
          var button = el("button", "btn btn-sm coach-replace", c.replace + "「" + f.replacement + "」");
          button.type = "button";
          button.addEventListener("click", function () { replace(f); });
          item.appendChild(button);
        }
        list.appendChild(item);
      });
      panel.appendChild(list);
    }

    function replace(f) {
      var value = box.value;
      var start = f.start, end = f.end;
      if (value.slice(start, end) !== f.text) {
        start = value.indexOf(f.text);
        if (start < 0) return;
        end = start + f.text.length;
      }
      box.value = value.slice(0, start) + f.replacement + value.slice(end);
      var caret = start + f.replacement.length;
      box.focus();
      box.setSelectionRange(caret, caret);
      check();
    }

    // -- the `/` phrase picker -------------------------------------------------------------
    var items = [];
    var active = 0;
    var slash = -1;

    function slashQuery() {
      var caret = box.selectionStart;
      var before = box.value.slice(0, caret);
      var match = /(^|\s)\/([^\s\/]{0,20})$/.exec(before);
      if (!match) return null;
      return { start: caret - match[2].length - 1, query: match[2] };
    }

    function openPicker(found) {
      slash = found.start;
      var params = new URLSearchParams({ q: found.query });
      var customer = box.dataset.customer || (box.closest("[data-customer]") || {}).dataset?.customer;
      if (customer) params.set("customer", customer);
      fetch(c.phrasesUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { phrases: [] }; })
        .then(function (data) {
          items = data.phrases || [];
          active = 0;
          drawPicker();
        })
        .catch(function () { closePicker(); });
    }

    function drawPicker() {
      picker.textContent = "";
      picker.hidden = false;
      if (!items.length) {
        picker.appendChild(el("div", "phrase-none", c.none));
        return;
      }
      items.forEach(function (p, i) {
        var option = el("div", "phrase-option" + (i === active ? " active" : ""));
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", i === active ? "true" : "false");
        option.appendChild(el("span", "phrase-code", p.code));
        option.appendChild(el("span", "phrase-text", p.text));
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          active = i;
          insert();
        });
        picker.appendChild(option);
      });
    }

    function closePicker() {
      picker.hidden = true;
      items = [];
      slash = -1;
    }

    function insert() {
      var chosen = items[active];
      if (!chosen || slash < 0) return closePicker();
      var caret = box.selectionStart;
      box.value = box.value.slice(0, slash) + chosen.text + box.value.slice(caret);
      var at = slash + chosen.text.length;
      closePicker();
      box.focus();
      box.setSelectionRange(at, at);
      check();
    }

    box.addEventListener("keydown", function (event) {
      if (picker.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (items.length) {
          active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
          drawPicker();
        }
      } else if (event.key === "Enter") {
        event.preventDefault();
        insert();
      } else if (event.key === "Escape") {
        event.preventDefault();
        closePicker();
      }
    });

    box.addEventListener("input", function () {
      var found = slashQuery();
      if (found) openPicker(found);
      else if (!picker.hidden) closePicker();
      clearTimeout(timer);
      timer = setTimeout(check, DEBOUNCE_MS);
    });
    box.addEventListener("blur", function () { setTimeout(closePicker, 150); });
    if (box.value) check();
  }

  function scan(root) {
    (root || document).querySelectorAll("textarea[data-coach]").forEach(attach);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
