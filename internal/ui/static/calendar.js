// Calendar enhancements. Without this file the calendar still works: blocks
// are placed by classes, "+ New" links book, and each appointment's page
// moves it with a form. With it: the type's own colour on each block, a
// today line that keeps up with the clock, a click on a free time to book
// it, and drag to move or resize (posting to the same move endpoint with the
// version the page was drawn at). Positions are CSS custom properties set
// here, never style attributes (the CSP refuses those).
(function () {
  "use strict";
  var grid = document.getElementById("cal-grid");
  if (!grid) { return; }
  var first = parseInt(grid.getAttribute("data-first-hour"), 10) || 0;
  var hours = parseInt(grid.getAttribute("data-hours"), 10) || 24;
  var canBook = grid.hasAttribute("data-can-book");
  var csrf = document.body.getAttribute("data-csrf") || "";
  var status = document.getElementById("cal-status");
  var STEP = 5; // minutes

  function say(msg) { if (status) { status.textContent = msg; } }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(min) { return pad(Math.floor(min / 60)) + ":" + pad(min % 60); }

  // Place an element at local minute start, lasting minutes, through the
  // custom properties the h*/m*/dh*/dm* classes otherwise set.
  function place(el, start, minutes) {
    el.style.setProperty("--h", String(Math.floor(start / 60)));
    el.style.setProperty("--m", String(start % 60));
    if (minutes !== undefined) {
      el.style.setProperty("--dh", String(Math.floor(minutes / 60)));
      el.style.setProperty("--dm", String(minutes % 60));
    }
  }
  function unplace(el) {
    ["--h", "--m", "--dh", "--dm"].forEach(function (p) { el.style.removeProperty(p); });
  }

  // The appointment type's own colour as the block's stripe.
  var blocks = grid.querySelectorAll(".cal-block[data-color]");
  for (var i = 0; i < blocks.length; i++) {
    var c = blocks[i].getAttribute("data-color");
    if (/^#[0-9a-fA-F]{6}$/.test(c)) { blocks[i].style.setProperty("--stripe", c); }
  }

  // The today line: drawn by the server, moved along every minute.
  var now = document.getElementById("cal-now");
  if (now) {
    var hm = /\bh(\d+)\b/.exec(now.className), mm = /\bm(\d+)\b/.exec(now.className);
    var drawn = hm && mm ? parseInt(hm[1], 10) * 60 + parseInt(mm[1], 10) : 0;
    var loaded = Date.now();
    setInterval(function () {
      var m = drawn + Math.floor((Date.now() - loaded) / 60000);
      if (m >= (first + hours) * 60) { now.hidden = true; return; }
      place(now, m);
    }, 30000);
  }

  function minuteAt(col, clientY) {
    var r = col.getBoundingClientRect();
    return first * 60 + (clientY - r.top) / r.height * hours * 60;
  }
  function hourPx(col) { return col.getBoundingClientRect().height / hours; }

  // A click on a free time opens the booking form for it.
  grid.addEventListener("click", function (e) {
    if (!canBook || e.target.closest(".cal-block")) { return; }
    var col = e.target.closest(".cal-col");
    if (!col || !col.getAttribute("data-new")) { return; }
    var m = Math.floor(minuteAt(col, e.clientY) / 15) * 15;
    m = Math.max(0, Math.min(m, 24 * 60 - 15));
    window.location.assign(col.getAttribute("data-new") + "&time=" + encodeURIComponent(clock(m)));
  });

  // Drag to move (or, by the lower edge, to resize).
  var drag = null, suppressClick = false;

  grid.addEventListener("dragstart", function (e) { if (e.target.closest && e.target.closest(".cal-block")) { e.preventDefault(); } });

  grid.addEventListener("pointerdown", function (e) {
    var block = e.target.closest(".cal-block[data-movable]");
    if (!block || e.button !== 0 || drag) { return; }
    drag = {
      block: block, home: block.parentNode, next: block.nextSibling, col: block.parentNode,
      resize: !!e.target.closest(".cal-resize"), x: e.clientX, y: e.clientY, moved: false,
      start: parseInt(block.getAttribute("data-start"), 10), minutes: parseInt(block.getAttribute("data-minutes"), 10),
      px: hourPx(block.parentNode), id: e.pointerId
    };
    drag.newStart = drag.start;
    drag.newMinutes = drag.minutes;
  });

  grid.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.id) { return; }
    var dy = e.clientY - drag.y, dx = e.clientX - drag.x;
    if (!drag.moved) {
      if (Math.abs(dy) < 5 && Math.abs(dx) < 5) { return; }
      drag.moved = true;
      drag.block.classList.add("dragging");
      try { drag.block.setPointerCapture(e.pointerId); } catch (err) { /* not capturable: follow the grid's events */ }
    }
    e.preventDefault();
    var delta = Math.round(dy / drag.px * 60 / STEP) * STEP;
    var end = (first + hours) * 60;
    if (drag.resize) {
      drag.newMinutes = Math.max(STEP, Math.min(drag.minutes + delta, end - drag.start, 480));
      place(drag.block, drag.start, drag.newMinutes);
      say("New length: " + drag.newMinutes + " minutes.");
      return;
    }
    drag.newStart = Math.max(first * 60, Math.min(drag.start + delta, end - drag.minutes));
    place(drag.block, drag.newStart, drag.minutes);
    var under = document.elementsFromPoint(e.clientX, e.clientY);
    for (var i = 0; i < under.length; i++) {
      var col = under[i].closest && under[i].closest(".cal-col");
      if (col && col !== drag.col && sameKind(col, drag.home)) {
        col.appendChild(drag.block);
        drag.col = col;
        break;
      }
      if (col) { break; }
    }
    say("New start: " + clock(drag.newStart) + " on " + drag.col.getAttribute("data-date") + ".");
  });

  // A block moves between columns of the same kind: clinicians, or rooms.
  function sameKind(a, b) {
    return (a.getAttribute("data-room") === "0") === (b.getAttribute("data-room") === "0");
  }

  function putBack(d) {
    d.block.classList.remove("dragging", "saving");
    unplace(d.block);
    d.home.insertBefore(d.block, d.next && d.next.parentNode === d.home ? d.next : null);
  }

  function finish(e, cancel) {
    if (!drag || (e && e.pointerId !== drag.id)) { return; }
    var d = drag;
    drag = null;
    if (!d.moved) { return; } // a click: the link opens the appointment
    suppressClick = true;
    setTimeout(function () { suppressClick = false; }, 400);
    var sameCol = d.col === d.home;
    if (cancel || (sameCol && d.newStart === d.start && d.newMinutes === d.minutes)) {
      putBack(d);
      say(cancel ? "Move cancelled." : "");
      return;
    }
    d.block.classList.remove("dragging");
    d.block.classList.add("saving");
    var body = new URLSearchParams();
    body.set("version", d.block.getAttribute("data-version"));
    body.set("scope", "one");
    body.set("date", d.col.getAttribute("data-date"));
    body.set("time", clock(d.newStart));
    if (d.newMinutes !== d.minutes) { body.set("minutes", String(d.newMinutes)); }
    if (!sameCol) {
      if (d.col.getAttribute("data-room") !== "0") {
        body.set("room", d.col.getAttribute("data-room"));
        body.set("location", d.col.getAttribute("data-location"));
      } else {
        body.set("clinician", d.col.getAttribute("data-clinician"));
      }
    }
    say("Saving…");
    fetch("/appointments/" + d.block.getAttribute("data-id") + "/move", {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (r) {
      if (r.redirected || r.status === 401) { window.location.assign("/login"); return null; }
      return r.json().then(function (j) { return { ok: r.ok, body: j }; }, function () { return { ok: false, body: null }; });
    }).then(function (res) {
      if (res === null) { return; }
      if (res.ok) { window.location.reload(); return; }
      var msg = res.body && res.body.error && res.body.error.message ? res.body.error.message : "The appointment could not be moved.";
      putBack(d);
      say(msg + " The appointment is back where it was.");
    }).catch(function () {
      putBack(d);
      say("The appointment could not be moved: the server did not answer. It is back where it was.");
    });
  }

  grid.addEventListener("pointerup", function (e) { finish(e, false); });
  grid.addEventListener("pointercancel", function (e) { finish(e, true); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && drag) { var d = drag; finish({ pointerId: d.id }, true); }
  });
  // The click that ends a drag must not open the appointment.
  grid.addEventListener("click", function (e) {
    if (suppressClick && e.target.closest(".cal-block")) { e.preventDefault(); e.stopPropagation(); }
  }, true);
})();
