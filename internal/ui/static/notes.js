// Clinical documentation enhancements; every page works without this file.
// - The note editor saves itself 3 seconds after typing stops and when a
//   field loses focus, posting the same form and asking for JSON. A polite
//   live region says "Saving…" and "Saved 2:14 PM"; a failure leaves a
//   persistent warning and retries. Nothing is kept in browser storage.
// - The diagnosis form searches ICD-10-CM as the user types.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var csrf = document.body.getAttribute("data-csrf") || "";

  // ---- Note editor autosave ----
  var form = document.getElementById("note-editor");
  var status = document.getElementById("autosave-status");
  var version = document.getElementById("note-version");
  if (form && status && version && form.getAttribute("data-autosave")) {
    var timer = null, dirty = false, saving = false, stopped = false, retry = 5000;
    var pending = null; // a submit button pressed while a save was in flight
    var say = function (msg, failed) {
      status.textContent = msg;
      status.className = "autosave" + (failed ? " failed" : " ok");
      if (failed) { state("failed"); }
    };
    var schedule = function (ms) {
      clearTimeout(timer);
      timer = setTimeout(save, ms);
    };
    // data-state on the status says where autosave is (pending, saving,
    // saved, failed), for styles and tests.
    var state = function (s) { status.setAttribute("data-state", s); };
    var changed = function () {
      if (stopped) { return; }
      dirty = true;
      state("pending");
      schedule(3000);
    };
    var updateCode = function (b) {
      var hint = document.getElementById("code-hint");
      var flag = document.getElementById("code-flag");
      if (hint && b.minutes > 0) {
        hint.textContent = b.minutes + " minutes: the time rule suggests " + (b.suggested || "no psychotherapy code") + ".";
      }
      if (flag) { flag.hidden = !b.mismatch; }
    };
    var problems = function (e) {
      var out = [];
      if (e && e.fields) {
        for (var k in e.fields) {
          if (Object.prototype.hasOwnProperty.call(e.fields, k)) { out.push(e.fields[k]); }
        }
      }
      return out.length ? out.join(" ") : (e && e.message) || "check the session details.";
    };
    var finish = function () {
      if (pending) {
        var button = pending;
        pending = null;
        stopped = true;
        form.requestSubmit(button);
      }
    };
    var save = function () {
      clearTimeout(timer);
      if (stopped || !dirty || saving) { return; }
      saving = true;
      dirty = false;
      say("Saving…", false);
      state("saving");
      var data = new FormData(form);
      data.delete("next");
      fetch(form.getAttribute("data-autosave"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "application/json", "X-CSRF-Token": csrf },
        body: new URLSearchParams(data)
      }).then(function (r) {
        // An ended session is redirected to the sign-in page.
        if (r.redirected) { return { signedOut: true }; }
        return r.json().then(function (j) { return { status: r.status, body: j }; }, function () { return { status: r.status, body: {} }; });
      }).then(function (res) {
        saving = false;
        if (res.signedOut) {
          stopped = true;
          dirty = true;
          say("Not saved: you were signed out. Copy your text, sign in again in another tab, then reload this page.", true);
          return;
        }
        if (res.status === 200) {
          version.value = res.body.version;
          retry = 5000;
          say("Saved " + res.body.saved, false);
          state(dirty ? "pending" : "saved");
          updateCode(res.body);
          if (pending) { finish(); } else if (dirty) { schedule(3000); }
          return;
        }
        dirty = true;
        pending = null;
        var e = res.body && res.body.error;
        if (res.status === 409) {
          stopped = true;
          say("Not saved: " + ((e && e.message) || "this note changed elsewhere.") + " Don't close this tab until you have copied your text.", true);
          return;
        }
        if (res.status === 422) {
          say("Not saved: " + problems(e), true);
          return; // saved again after the next change
        }
        throw new Error("save failed");
      }).catch(function () {
        saving = false;
        dirty = true;
        say("Not saved — retrying. Don't close this tab.", true);
        schedule(retry);
        retry = Math.min(retry * 2, 60000);
      });
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("focusout", function () {
      if (dirty && !saving) { schedule(0); }
    });
    form.addEventListener("submit", function (e) {
      if (saving) {
        // Let the save in flight finish, then submit with its version.
        e.preventDefault();
        pending = e.submitter || form.querySelector("button[type=submit]");
        return;
      }
      clearTimeout(timer);
      stopped = true;
      dirty = false;
    });
    window.addEventListener("beforeunload", function (e) {
      if (dirty || saving) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
  }

  // ---- ICD-10-CM live search ----
  var q = document.querySelector("input[data-icd-live]");
  if (q) {
    var box = document.getElementById(q.getAttribute("data-icd-live"));
    var live = document.getElementById("icd-status");
    var wait = null, sent = 0;
    var option = function (r, checked) {
      var label = document.createElement("label");
      label.className = "icd-option";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "code";
      input.value = r.code;
      input.checked = checked;
      var code = document.createElement("span");
      code.className = "time icd-code";
      code.textContent = r.dotted;
      var title = document.createElement("span");
      title.textContent = r.title;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(code);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(title);
      return label;
    };
    var show = function (results, query) {
      var chosen = box.querySelector("input[name=code]:checked");
      var keep = chosen ? { code: chosen.value, dotted: chosen.parentNode.querySelector(".icd-code").textContent,
        title: chosen.parentNode.lastChild.textContent } : null;
      box.textContent = "";
      if (keep && !results.some(function (r) { return r.code === keep.code; })) {
        box.appendChild(option(keep, true));
      }
      results.forEach(function (r) { box.appendChild(option(r, keep !== null && keep.code === r.code)); });
      if (!results.length) {
        var p = document.createElement("p");
        p.className = "muted";
        p.textContent = "No billable codes match “" + query + "”.";
        box.appendChild(p);
      }
      if (live) { live.textContent = results.length === 1 ? "1 code found." : results.length + " codes found."; }
    };
    var search = function () {
      var text = q.value.trim();
      if (text.length < 2) { return; }
      var mine = ++sent;
      fetch("/icd10?q=" + encodeURIComponent(text), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.redirected || !r.ok) { throw new Error("search failed"); }
          return r.json();
        }).then(function (j) {
          if (mine === sent) { show(j.results || [], text); }
        }).catch(function () {
          if (live) { live.textContent = "Search is not available; press Enter to search."; }
        });
    };
    q.addEventListener("input", function () {
      clearTimeout(wait);
      wait = setTimeout(search, 250);
    });
  }
})();
