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
    note.textContent = "Meanwhile another leader marked this member" + (text && text !== "—" ? ": " + text : "")
      + ". Your next tap decides.";
  });
})();

// Keyboard roll call: saving a mark replaces its row, and the focused button or field goes with it.
// Focus then falls to the page itself; put it back on the same control of the new row, so the next
// Tab goes on from there and Enter can change the mark at once (error: the substitute's name field).
(function () {
  var pending = null;

  function key(control) {
    if (control.matches("button[name=status]")) return "button[name=status][value='" + control.value + "']";
    if (control.name) return control.tagName.toLowerCase() + "[name='" + control.name + "']";
    return null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.detail.elt.closest && event.detail.elt.closest(".roll-row");
    var active = document.activeElement;
    if (row && active && row.contains(active) && key(active)) pending = { row: row.id, control: key(active) };
  });

  document.addEventListener("htmx:afterSettle", function () {
    // Any swap settles here (the counts poll too): act only once the focus was lost with its row.
    if (!pending || (document.activeElement && document.activeElement !== document.body)) return;
    var row = document.getElementById(pending.row);
    var control = pending.control;
    pending = null;
    if (!row) return;
    var target = row.querySelector(".errorlist") ? row.querySelector("input[name=substitute_name]") : null;
    target = target || row.querySelector(control);
    if (target) target.focus();
  });
})();
