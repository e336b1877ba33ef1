// Client search as you type, in the top bar. Without this file the box is a
// plain form that posts to /clients/search. Queries go in POST bodies, never
// in URLs, so names and birth dates stay out of history and logs.
(function () {
  "use strict";
  var input = document.getElementById("top-q");
  var box = document.getElementById("top-q-list");
  var status = document.getElementById("top-q-status");
  if (!input || !box || !window.fetch) { return; }
  var csrf = document.body.getAttribute("data-csrf") || "";
  var form = input.form;
  var timer = null, sent = 0, active = -1, lastQuery = "", leaving = false;

  function options() { return box.querySelectorAll('[role="option"]'); }

  function say(msg) { if (status) { status.textContent = msg; } }

  function close() {
    box.hidden = true;
    box.innerHTML = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    var opts = options();
    if (!opts.length) { return; }
    if (i < 0) { i = opts.length - 1; }
    if (i >= opts.length) { i = 0; }
    for (var j = 0; j < opts.length; j++) {
      opts[j].setAttribute("aria-selected", j === i ? "true" : "false");
    }
    active = i;
    input.setAttribute("aria-activedescendant", opts[i].id);
    opts[i].scrollIntoView({ block: "nearest" });
  }

  function open(option) {
    var href = option && option.getAttribute("data-href");
    if (href) { leaving = true; window.location.assign(href); }
  }

  function show(html) {
    box.innerHTML = html;
    box.hidden = false;
    active = -1;
    input.removeAttribute("aria-activedescendant");
    var list = box.querySelector('[role="listbox"]');
    if (list) {
      list.id = "top-q-listbox";
      input.setAttribute("aria-controls", "top-q-listbox");
    }
    input.setAttribute("aria-expanded", list ? "true" : "false");
    var n = options().length;
    say(n === 0 ? "No clients match." : n === 1 ? "1 client found. Use the down arrow to choose it." : n + " clients found. Use the arrow keys to choose one.");
  }

  function search() {
    var q = input.value.trim();
    if (q === lastQuery && !box.hidden) { return; }
    lastQuery = q;
    if (q.length < 2) { close(); say(""); return; }
    var mine = ++sent;
    var body = new URLSearchParams();
    body.set("q", q);
    fetch("/clients/live-search", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
      body: body
    }).then(function (r) {
      // An ended session is redirected to the sign-in page.
      if (r.redirected || r.status === 401) { window.location.assign("/login"); return null; }
      if (!r.ok) { throw new Error("search failed"); }
      return r.text();
    }).then(function (html) {
      if (html === null || mine !== sent) { return; } // a later search answers instead
      show(html);
    }).catch(function () {
      if (mine !== sent) { return; }
      close();
      say("Search is not available right now. Press Enter to search.");
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });

  input.addEventListener("keydown", function (e) {
    var opts = options();
    switch (e.key) {
    case "ArrowDown":
      if (opts.length) { e.preventDefault(); highlight(active + 1); }
      break;
    case "ArrowUp":
      if (opts.length) { e.preventDefault(); highlight(active - 1); }
      break;
    case "Enter":
      // With a suggestion chosen, open it; otherwise the form posts.
      if (active >= 0 && opts[active]) { e.preventDefault(); open(opts[active]); }
      break;
    case "Escape":
      if (!box.hidden) { e.preventDefault(); close(); say(""); }
      else if (input.value) { e.preventDefault(); input.value = ""; lastQuery = ""; }
      break;
    }
  });

  // Some browsers still send the Enter that opened a suggestion on to the
  // form as an implicit submission; the suggestion wins.
  if (form) {
    form.addEventListener("submit", function (e) { if (leaving) { e.preventDefault(); } });
  }

  // mousedown, not click: the list must not close on the input's blur first.
  box.addEventListener("mousedown", function (e) {
    var opt = e.target.closest('[role="option"]');
    if (opt) { e.preventDefault(); open(opt); }
  });

  document.addEventListener("click", function (e) {
    if (!box.hidden && !e.target.closest(".top-search")) { close(); }
  });
  input.addEventListener("blur", function () {
    setTimeout(function () { if (document.activeElement !== input) { close(); } }, 150);
  });
})();
