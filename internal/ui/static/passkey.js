// Passkeys (WebAuthn) for the second step of sign-in and for adding a
// passkey. The pages work without this file: passkey controls are rendered
// hidden and shown here only when the browser supports WebAuthn; a code
// always works.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-passkey]");
  if (!parts.length) { return; }
  if (!window.PublicKeyCredential || !navigator.credentials || !navigator.credentials.create) {
    var note = document.getElementById("passkey-unsupported");
    if (note) { note.hidden = false; }
    return;
  }
  parts.forEach(function (el) { el.hidden = false; });

  var live = document.getElementById("passkey-status");
  function say(msg, isError) {
    if (!live) { return; }
    live.textContent = msg;
    live.className = msg ? (isError ? "field-error" : "muted") : "";
  }

  // WebAuthn speaks ArrayBuffers; the server speaks base64url.
  function toBuffer(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toBase64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBuffer(c.id) }); });
  }

  // Stops the flow without a message: the page is being replaced.
  var leaving = new Error("leaving");

  // post sends JSON with the session's CSRF token and returns the JSON answer.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": document.body.getAttribute("data-csrf") || "" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        // An ended session is redirected to the sign-in page.
        if (r.redirected) { window.location.assign(r.url); throw leaving; }
        throw new Error("Something went wrong. Reload the page and try again.");
      }
      return r.json().then(function (data) {
        if (r.status === 401) { window.location.assign("/login"); throw leaving; }
        if (!r.ok) {
          var e = data.error || {}, fields = e.fields || {}, first = Object.keys(fields)[0];
          throw new Error((first && fields[first]) || e.message || "Something went wrong. Try again.");
        }
        return data;
      });
    });
  }

  function explain(err) {
    switch (err && err.name) {
      case "NotAllowedError": return "The passkey request was cancelled or timed out. Try again, or enter a code.";
      case "InvalidStateError": return "This device already holds one of your passkeys.";
      case "SecurityError": return "Passkeys cannot be used at this address.";
      case "AbortError": return "The passkey request was cancelled.";
    }
    return (err && err.message) || "The passkey did not work. Try again, or enter a code.";
  }

  function fail(button) {
    return function (err) {
      if (button) { button.disabled = false; }
      if (err !== leaving) { say(explain(err), true); }
    };
  }

  // showCodes replaces the page with the recovery codes a first passkey
  // brought, shown once, as the recovery codes page does.
  function showCodes(codes, next) {
    var main = document.getElementById("main");
    var h1 = document.createElement("h1");
    h1.textContent = "Save your recovery codes";
    h1.tabIndex = -1;
    var warn = document.createElement("div");
    warn.className = "notice warn";
    warn.setAttribute("role", "status");
    warn.textContent = "Two-step sign-in is on. These codes are shown only now. Each one lets you sign in once if you lose your passkey. Print them or keep them in a password manager.";
    var card = document.createElement("div");
    card.className = "card";
    var list = document.createElement("ul");
    list.className = "codes";
    list.id = "recovery-codes";
    codes.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = c;
      list.appendChild(li);
    });
    card.appendChild(list);
    var actions = document.createElement("div");
    actions.className = "actions";
    var a = document.createElement("a");
    a.className = "button";
    a.href = next;
    a.textContent = "I have saved my codes";
    actions.appendChild(a);
    main.replaceChildren(h1, warn, card, actions);
    h1.focus();
  }

  function done(data) {
    if (data.recovery_codes && data.recovery_codes.length) {
      showCodes(data.recovery_codes, data.next || "/");
      return;
    }
    window.location.assign(data.next || "/");
  }

  // The second step of sign-in.
  var login = document.getElementById("passkey-login");
  if (login) {
    login.addEventListener("click", function () {
      login.disabled = true;
      say("Follow your browser's prompt to use your passkey…", false);
      post(login.getAttribute("data-begin")).then(function (opts) {
        if (!opts.publicKey) { return done(opts); }
        var pk = opts.publicKey;
        pk.challenge = toBuffer(pk.challenge);
        pk.allowCredentials = descriptors(pk.allowCredentials);
        return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
          var r = cred.response;
          var answer = {
            id: cred.id, rawId: toBase64url(cred.rawId), type: cred.type,
            response: {
              clientDataJSON: toBase64url(r.clientDataJSON),
              authenticatorData: toBase64url(r.authenticatorData),
              signature: toBase64url(r.signature)
            },
            clientExtensionResults: cred.getClientExtensionResults()
          };
          if (r.userHandle) { answer.response.userHandle = toBase64url(r.userHandle); }
          if (cred.authenticatorAttachment) { answer.authenticatorAttachment = cred.authenticatorAttachment; }
          say("Checking your passkey…", false);
          return post(login.getAttribute("data-finish"), answer);
        }).then(done);
      }).catch(fail(login));
    });
  }

  // Adding a passkey.
  var form = document.getElementById("passkey-register");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var name = form.querySelector("input[name=passkey_name]");
      button.disabled = true;
      say("Follow your browser's prompt to create the passkey…", false);
      post(form.getAttribute("data-begin")).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = toBuffer(pk.challenge);
        pk.user.id = toBuffer(pk.user.id);
        pk.excludeCredentials = descriptors(pk.excludeCredentials);
        return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
          var r = cred.response;
          var credential = {
            id: cred.id, rawId: toBase64url(cred.rawId), type: cred.type,
            response: {
              clientDataJSON: toBase64url(r.clientDataJSON),
              attestationObject: toBase64url(r.attestationObject),
              transports: r.getTransports ? r.getTransports() : []
            },
            clientExtensionResults: cred.getClientExtensionResults()
          };
          if (cred.authenticatorAttachment) { credential.authenticatorAttachment = cred.authenticatorAttachment; }
          say("Saving your passkey…", false);
          return post(form.getAttribute("data-finish"), { name: name ? name.value : "", credential: credential });
        }).then(done);
      }).catch(fail(button));
    });
  }
})();
