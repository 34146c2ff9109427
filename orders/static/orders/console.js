// The attendant console's live picture: polls state/ and keeps one element per nozzle and per unpaid fill,
// so a choice being made in a fill's form is not wiped by the next refresh.
"use strict";
(function () {
  const text = JSON.parse(document.getElementById("console-text").textContent);
  const fmt = (fen) => "¥" + (fen / 100).toFixed(2);
  const litres = (ml) => (Math.floor(ml / 10) / 100).toFixed(2) + " L";
  const nozzleName = (n) => text.nozzle.replace("%(n)s", n);
  const ago = (minutes) => minutes < 1 ? text.just_now
    : minutes < 120 ? text.minutes_ago.replace("%(n)s", minutes)
    : text.hours_ago.replace("%(n)s", Math.floor(minutes / 60));
  const nozzleCards = {};
  const fillRows = {};

  function cell(row, value) { row.insertCell().textContent = value; }
  function table(id, rows, fill) {
    const element = document.getElementById(id);
    element.replaceChildren();
    if (!rows.length) { cell(element.insertRow(), text.none); return; }
    for (const item of rows) fill(element.insertRow(), item);
  }

  function renderNozzles(nozzles) {
    const grid = document.getElementById("nozzles");
    for (const n of nozzles) {
      let card = nozzleCards[n.number];
      if (!card) {
        card = document.getElementById("nozzle-card").content.firstElementChild.cloneNode(true);
        card.action = `nozzles/${n.number}/authorize/`;
        card.id = `nozzle-${n.number}`;
        card.querySelector(".title").textContent = `${nozzleName(n.number)} · ${n.grade}`;
        grid.appendChild(card);
        nozzleCards[n.number] = card;
      }
      card.dataset.state = n.state;
      card.dataset.busy = n.pump_busy;
      card.querySelector(".state").textContent = n.state_label;
      card.querySelector(".progress").textContent = n.volume_ml ? `${litres(n.volume_ml)} · ${fmt(n.amount_fen)}` : "";
      card.querySelector(".code").textContent = n.dynamic_code;
      card.querySelector(".authorize").disabled = !["ready", "calling"].includes(n.state) || n.pump_busy;
    }
  }

  function renderUnpaid(fills) {
    const list = document.getElementById("unpaid");
    const seen = new Set();
    for (const f of fills) {
      seen.add(String(f.fill_id));
      let row = fillRows[f.fill_id];
      if (!row) {
        row = document.getElementById("unpaid-row").content.firstElementChild.cloneNode(true);
        row.id = `fill-${f.fill_id}`;
        row.querySelector("form.counter").action = `fills/${f.fill_id}/counter/`;
        row.querySelector("form.drive-off").action = `fills/${f.fill_id}/drive-off/`;
        list.appendChild(row);
        fillRows[f.fill_id] = row;
      }
      row.dataset.overdue = f.overdue;
      row.querySelector(".what").textContent =
        `${nozzleName(f.nozzle_number)} · ${f.grade} · ${litres(f.volume_ml)} · ${fmt(f.amount_fen)} · ${ago(f.minutes_ago)}`;
    }
    for (const id of Object.keys(fillRows)) {
      if (!seen.has(id)) { fillRows[id].remove(); delete fillRows[id]; }
    }
    list.dataset.empty = fills.length === 0;
    if (!fills.length && !list.querySelector(".muted")) {
      const none = document.createElement("p");
      none.className = "muted"; none.textContent = text.none; list.appendChild(none);
    } else if (fills.length) {
      list.querySelectorAll(":scope > .muted").forEach((p) => p.remove());
    }
  }

  function render(state) {
    const alerts = document.getElementById("alerts");
    alerts.replaceChildren(...state.alerts.map((message) => {
      const div = document.createElement("div"); div.className = "alert"; div.textContent = message; return div;
    }));
    renderNozzles(state.nozzles);
    table("pending", state.pending_orders, (row, o) => {
      cell(row, `${nozzleName(o.nozzle_number)} · ${o.driver} · ${o.status_label}`);
      const code = row.insertCell();
      const strong = document.createElement("span"); strong.className = "code"; strong.textContent = o.dynamic_code;
      code.append(strong, " " + fmt(o.amount_fen));
    });
    renderUnpaid(state.unpaid_fills);
    table("reports", state.wrong_fill_reports, (row, r) => {
      cell(row, `${nozzleName(r.nozzle_number)} · ${r.note}`);
      cell(row, `${fmt(r.paid_fen)} · ${r.order_no}`);
    });
    document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  }

  async function poll() {
    try {
      const response = await fetch("state/");
      if (response.ok) render(await response.json());
    } catch (error) { /* keep polling through a blip */ }
    setTimeout(poll, 700);
  }
  poll();
})();
