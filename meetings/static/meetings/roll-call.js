(function () {
// Words through Django's JavaScript catalogue (its global gettext and interpolate) once the page loads it, English
// until then. Looked up when used, not when this file runs, so the order of the scripts does not matter; the
// names are this file's own (inside this function) so that `make messages` finds the strings in gettext("…").
var gettext = function (text) {
  return typeof window.gettext === "function" ? window.gettext(text) : text;
};
var interpolate = function (format, values) {
  if (typeof window.interpolate === "function") return window.interpolate(format, values, true);
  return format.replace(/%\((\w+)\)s/g, function (whole, key) { return values[key]; });
};

// Roll call: the counts poll also brings, out of band, the rows another leader has marked since.
// A row this leader is busy with (typing a substitute, the substitute form opened, a tap on its
// way) is not replaced under their fingers: it keeps what they are doing and says what changed.
(function () {
  function busy(row) {
    var active = document.activeElement;
    if (active && row.contains(active) && active.matches("input, textarea, select")) return true;
    if (row.querySelector(".htmx-request")) return true;
    var typed = Array.prototype.some.call(row.querySelectorAll("input[type=text]"), function (input) {
      return input.value !== input.defaultValue;
    });
    if (typed) return true;
    var sub = row.querySelector("details.sub");
    return !!(sub && sub.open && row.dataset.status !== "substitute");
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var row = event.detail.target;
    if (!row || !row.classList || !row.classList.contains("roll-row") || !busy(row)) return;
    event.detail.shouldSwap = false;
    var incoming = event.detail.fragment && event.detail.fragment.querySelector("[data-testid=mark]");
    var note = row.querySelector(".roll-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "roll-note";
      note.setAttribute("role", "status");
      note.dataset.testid = "roll-note";
      row.querySelector(".roll-who").after(note);
    }
    var text = incoming ? incoming.textContent.replace(/\s+/g, " ").trim() : "";
    note.textContent = text && text !== "—"
      ? interpolate(gettext("Meanwhile another leader marked this member: %(mark)s. Your next tap decides."), { mark: text })
      : gettext("Meanwhile another leader marked this member. Your next tap decides.");
  });
})();

// Keyboard roll call. Saving a mark replaces its row, and the focused button or field goes with it:
// focus would fall to the page itself and the next Tab start again from the top. Put it back on the
// same control of the new row (error: the substitute's name field), so Tab goes on from there and
// Enter or Space can change the mark at once. A row another leader's mark replaces (the poll) while
// the focus is on one of its buttons keeps the focus the same way.
// While a mark is on its way the row says "Saving…" (and is aria-busy); #roll-live, a status region,
// tells a screen reader "Saving…" and then the mark as saved, since the swapped row itself is not announced.
(function () {
  var pending = null;  // {row: id, control: selector}: where the focus goes back to
  var saving = {};  // row id → the member's name, for marks on their way

  function key(control) {
    if (control.matches("button[name=status]")) return "button[name=status][value='" + control.value + "']";
    if (control.name) return control.tagName.toLowerCase() + "[name='" + control.name + "']";
    if (control.matches("summary")) return "summary";
    return null;
  }

  function rowOf(elt) {
    return elt && elt.closest ? elt.closest(".roll-row") : null;
  }

  function nameOf(row) {
    var strong = row.querySelector(".roll-who strong");
    return strong ? strong.textContent.trim() : "";
  }

  function say(text) {
    var live = document.getElementById("roll-live");
    if (live) live.textContent = text;
  }

  function remember(row) {
    var active = document.activeElement;
    if (row && active && row.contains(active) && key(active)) pending = { row: row.id, control: key(active) };
  }

  function showSaving(row) {
    row.setAttribute("aria-busy", "true");
    var note = row.querySelector(".roll-saving");
    if (!note) {
      note = document.createElement("span");
      note.className = "roll-saving";
      note.dataset.testid = "roll-saving";
      var mark = row.querySelector("[data-testid=mark]");
      if (mark) mark.before(note); else row.querySelector(".roll-who").append(note);
    }
    note.textContent = gettext("Saving…");
    saving[row.id] = nameOf(row);
    say(interpolate(gettext("Saving the mark of %(name)s…"), { name: saving[row.id] }));
  }

  function clearSaving(row) {
    row.removeAttribute("aria-busy");
    var note = row.querySelector(".roll-saving");
    if (note) note.remove();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = rowOf(event.detail.elt);
    if (!row) return;  // the counts poll
    remember(row);
    showSaving(row);
  });

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var row = event.detail.target;
    if (event.detail.shouldSwap !== false && row && row.classList && row.classList.contains("roll-row")) remember(row);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // Not saved (no connection, a server error): the old row stays; it must not go on saying "Saving…".
    if (event.detail.successful) return;
    var row = rowOf(event.detail.elt) || (event.detail.target && rowOf(event.detail.target));
    if (row && row.isConnected) clearSaving(row);
    Object.keys(saving).forEach(function (id) {
      var stale = document.getElementById(id);
      if (stale) clearSaving(stale);
      delete saving[id];
    });
    say(gettext("Not saved."));
  });

  document.addEventListener("htmx:afterSettle", function () {
    // Any swap settles here (the counts poll too): act on the rows that were being saved, once they are new.
    Object.keys(saving).forEach(function (id) {
      var row = document.getElementById(id);
      if (!row || row.getAttribute("aria-busy") === "true") return;  // still on its way
      var name = saving[id];
      delete saving[id];
      if (row.querySelector(".errorlist")) {
        say("");  // the row's own alert says what is wrong
        return;
      }
      var mark = row.querySelector("[data-testid=mark]");
      var text = mark ? mark.textContent.replace(/\s+/g, " ").trim() : "";
      say(interpolate(gettext("%(name)s: %(mark)s, saved."), { name: name, mark: text }));
    });
    if (!pending || (document.activeElement && document.activeElement !== document.body)) return;
    var row = document.getElementById(pending.row);
    var control = pending.control;
    pending = null;
    if (!row) return;
    var target = row.querySelector(".errorlist") ? row.querySelector("input[name=substitute_name]") : null;
    target = target || row.querySelector(control) || row.querySelector("button, a[href], summary");
    if (target) target.focus();
  });
})();

// "Undo" after marking everyone else present: offered for a few seconds, then it goes (the server
// refuses a late undo anyway).
(function () {
  document.querySelectorAll("[data-hide-after]").forEach(function (form) {
    var seconds = parseInt(form.getAttribute("data-hide-after"), 10) || 0;
    setTimeout(function () { form.hidden = true; }, seconds * 1000);
  });
})();
})();
