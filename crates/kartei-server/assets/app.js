// Kartei page script: small conveniences on top of pages that work without it.
// Quick search, the filter builder, row selection, repeated form rows, the
// "similar contact exists" hint and local times. No inline code: the CSP forbids it.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const lang = document.body.dataset.lang || document.documentElement.lang || "de";

function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// "/" focuses the search box, unless the user is typing somewhere.
document.addEventListener("keydown", (e) => {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
  const q = $("#q");
  if (q) { e.preventDefault(); q.focus(); q.select(); }
});

// Times are sent in UTC; show them in the reader's time zone and locale.
function localTimes(root = document) {
  const fmt = new Intl.DateTimeFormat(lang === "de" ? "de-DE" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
  $$("time[datetime]", root).forEach((el) => {
    const d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d) && el.getAttribute("datetime").includes("T")) el.textContent = fmt.format(d);
  });
}

// Tag colours come as data attributes (inline styles are not allowed by the CSP).
function tagColours(root = document) {
  $$("[data-color]", root).forEach((el) => el.style.setProperty("--tag", el.dataset.color));
}

// Confirmation before destructive forms.
document.addEventListener("submit", (e) => {
  const form = e.target;
  let message = form.dataset.confirm;
  if (form.id === "bulk-form") {
    const action = $("#bulk-action", form);
    if (action && action.value === "delete") message = form.dataset.confirmDelete;
  }
  if (message && !window.confirm(message)) e.preventDefault();
});

// Row selection on list pages.
function selection() {
  const all = $("#select-all");
  const count = $("#selected-count");
  const boxes = () => $$('input[name="ids"]');
  const update = () => {
    const n = boxes().filter((b) => b.checked).length;
    if (count) count.textContent = n ? `${n} ✓` : "";
    const bulk = $("#bulk-form");
    if (bulk) bulk.classList.toggle("nothing-selected", n === 0);
  };
  if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); update(); });
  boxes().forEach((b) => b.addEventListener("change", update));
  update();
}

// Only the inputs the chosen bulk action needs are shown.
function bulkActions() {
  const action = $("#bulk-action");
  if (!action) return;
  const show = () => {
    $("#bulk-tag").hidden = !["tag", "untag"].includes(action.value);
    $("#bulk-owner").hidden = action.value !== "owner";
  };
  action.addEventListener("change", show);
  show();
}

// Quick search: results replace the table while the user types.
function quickSearch() {
  const q = $("#q");
  const form = $("#list-form");
  if (!q || !form) return;
  let seq = 0;
  const run = debounce(async () => {
    const mine = ++seq;
    syncFilter();
    const params = new URLSearchParams(new FormData(form));
    for (const [k, v] of Array.from(params.entries())) if (!v) params.delete(k);
    const res = await fetch(`${q.dataset.rows}?${params}`, { headers: { Accept: "text/html" } });
    if (!res.ok || mine !== seq) return;
    const area = $("#table-area");
    area.outerHTML = await res.text();
    history.replaceState(null, "", `${form.getAttribute("action")}?${params}`);
    selection();
  }, 180);
  q.addEventListener("input", run);
}

// The filter builder: rows of field / operator / value, joined by "all" or "any".
const OPS = {
  text: ["contains", "eq", "ne", "starts_with", "is_empty", "not_empty"],
  phone: ["eq", "ne", "is_empty", "not_empty"],
  choice: ["eq", "ne", "is_empty", "not_empty"],
  boolean: ["eq", "ne", "is_empty", "not_empty"],
  date: ["eq", "lt", "le", "gt", "ge", "is_empty", "not_empty"],
  timestamp: ["lt", "ge"],
  number: ["eq", "ne", "lt", "le", "gt", "ge", "is_empty", "not_empty"],
  tag: ["has_tag", "not_tag"],
  consent: ["may_contact", "not_may_contact"],
};
let syncFilter = () => {};

function filterBuilder() {
  const root = $("#filter-builder");
  const hidden = $("#filter-json");
  const specEl = $("#filter-spec");
  if (!root || !hidden || !specEl) return;
  const spec = JSON.parse(specEl.textContent);
  const fields = spec.fields.concat([{ name: "__tag", label: "Tag", kind: "tag", options: spec.tags.map((t) => [t, t]) }])
    .concat(spec.consents ? [{ name: "__consent", label: spec.texts.consent, kind: "consent", options: spec.consents }] : []);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  // Reads a filter into rows, or null when it is nested deeper than the builder shows.
  function toRows(f) {
    if (!f) return { join: "and", rows: [] };
    const list = f.and ? f.and : f.or ? f.or : [f];
    const join = f.or ? "or" : "and";
    const rows = [];
    for (const c of list) {
      if (c.not && c.not.op === "is_empty") rows.push({ field: c.not.field, op: "not_empty", value: "" });
      else if (c.not && c.not.op === "has_tag") rows.push({ field: "__tag", op: "not_tag", value: c.not.value });
      else if (c.op === "has_tag") rows.push({ field: "__tag", op: "has_tag", value: c.value });
      else if (c.not && c.not.op === "may_contact" && byName.__consent) rows.push({ field: "__consent", op: "not_may_contact", value: c.not.value });
      else if (c.op === "may_contact" && byName.__consent) rows.push({ field: "__consent", op: "may_contact", value: c.value });
      else if (c.op && c.field && byName[c.field]) rows.push({ field: c.field, op: c.op, value: c.value === undefined || c.value === null ? "" : String(c.value) });
      else return null;
    }
    return { join, rows };
  }

  function condition(r) {
    const f = byName[r.field];
    if (!f) return null;
    if (r.op === "has_tag") return r.value ? { op: "has_tag", value: r.value } : null;
    if (r.op === "not_tag") return r.value ? { not: { op: "has_tag", value: r.value } } : null;
    if (r.op === "may_contact") return r.value ? { op: "may_contact", value: r.value } : null;
    if (r.op === "not_may_contact") return r.value ? { not: { op: "may_contact", value: r.value } } : null;
    if (r.op === "is_empty") return { field: r.field, op: "is_empty" };
    if (r.op === "not_empty") return { not: { field: r.field, op: "is_empty" } };
    if (r.value === "") return null;
    let value = r.value;
    if (f.kind === "number") value = Number(String(value).replace(",", "."));
    if (f.kind === "boolean") value = value === "true";
    return { field: r.field, op: r.op, value };
  }

  let parsed = null;
  try { parsed = hidden.value ? JSON.parse(hidden.value) : null; } catch (_) { parsed = undefined; }
  const state = parsed === undefined ? null : toRows(parsed);
  if (!state) {
    // A filter from the API or a saved view the rows cannot show: edit it as JSON.
    const ta = document.createElement("textarea");
    ta.rows = 6; ta.value = hidden.value; ta.setAttribute("aria-label", "JSON");
    root.append(ta);
    syncFilter = () => { hidden.value = ta.value.trim(); };
    return;
  }

  const joinSel = document.createElement("select");
  joinSel.setAttribute("aria-label", spec.texts.match);
  joinSel.innerHTML = `<option value="and">${spec.texts.all}</option><option value="or">${spec.texts.any}</option>`;
  joinSel.value = state.join;
  const head = document.createElement("div");
  head.className = "filter-row";
  head.append(document.createTextNode(`${spec.texts.match} `), joinSel);
  const rowsBox = document.createElement("div");
  const add = document.createElement("button");
  add.type = "button"; add.textContent = `+ ${spec.texts.add}`; add.className = "link";
  root.append(head, rowsBox, add);

  function option(value, label, selected) {
    const o = document.createElement("option");
    o.value = value; o.textContent = label; o.selected = selected;
    return o;
  }

  function addRow(r) {
    const row = document.createElement("div");
    row.className = "filter-row";
    const fieldSel = document.createElement("select");
    fieldSel.setAttribute("aria-label", "Feld / field");
    fields.forEach((f) => fieldSel.append(option(f.name, f.label, f.name === r.field)));
    const opSel = document.createElement("select");
    opSel.setAttribute("aria-label", "Operator");
    let valueEl = document.createElement("input");
    const remove = document.createElement("button");
    remove.type = "button"; remove.textContent = "×"; remove.setAttribute("aria-label", spec.texts.remove);
    function render(keep) {
      const f = byName[fieldSel.value];
      const ops = OPS[f.kind] || OPS.text;
      const prevOp = keep ? opSel.value || r.op : ops[0];
      opSel.innerHTML = "";
      ops.forEach((op) => opSel.append(option(op, spec.ops[op] || op, op === prevOp)));
      const prevValue = keep ? (valueEl.value || r.value || "") : "";
      let el;
      if (f.kind === "choice" || f.kind === "tag" || f.kind === "boolean" || f.kind === "consent") {
        el = document.createElement("select");
        const opts = f.kind === "boolean" ? [["true", spec.texts.yes], ["false", spec.texts.no]] : f.options;
        opts.forEach(([v, l]) => el.append(option(v, l, v === prevValue)));
      } else {
        el = document.createElement("input");
        el.type = f.kind === "date" ? "date" : f.kind === "timestamp" ? "datetime-local" : "text";
        el.value = prevValue;
      }
      el.setAttribute("aria-label", "Wert / value");
      valueEl.replaceWith(el);
      valueEl = el;
      valueEl.hidden = opSel.value === "is_empty" || opSel.value === "not_empty";
    }
    fieldSel.addEventListener("change", () => render(false));
    opSel.addEventListener("change", () => { valueEl.hidden = opSel.value === "is_empty" || opSel.value === "not_empty"; });
    remove.addEventListener("click", () => row.remove());
    row.append(fieldSel, opSel, valueEl, remove);
    rowsBox.append(row);
    row.read = () => {
      let value = valueEl.value;
      if (byName[fieldSel.value].kind === "timestamp" && value) value = new Date(value).toISOString();
      return { field: fieldSel.value, op: opSel.value, value };
    };
    render(true);
  }

  state.rows.forEach(addRow);
  add.addEventListener("click", () => addRow({ field: fields[0].name, op: "", value: "" }));
  syncFilter = () => {
    const conds = $$(".filter-row", rowsBox).map((row) => condition(row.read())).filter(Boolean);
    hidden.value = conds.length === 0 ? "" : conds.length === 1 ? JSON.stringify(conds[0]) : JSON.stringify({ [joinSel.value]: conds });
  };
}

function listForm() {
  const form = $("#list-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    syncFilter();
    // Empty parameters stay out of the address.
    $$("input, select", form).forEach((el) => { if (el.name && !el.value) el.disabled = true; });
  });
}

// Repeated groups (e-mails, phones, addresses): another row on request.
function repeatedRows() {
  $$(".group .add-row").forEach((button) => {
    button.addEventListener("click", () => {
      const group = button.closest(".group");
      const rows = $$(".row", group);
      const last = rows[rows.length - 1];
      const copy = last.cloneNode(true);
      const next = rows.length;
      $$("[name], [id], [for], [aria-describedby]", copy).forEach((el) => {
        for (const attr of ["name", "id", "for", "aria-describedby"]) {
          const v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/\[\d+\]/, `[${next}]`).replace(/-\d+-/, `-${next}-`));
        }
        if (el.matches("input")) el.value = "";
        if (el.matches("select")) el.selectedIndex = 0;
        el.removeAttribute("aria-invalid");
      });
      $$(".field-error, .theirs", copy).forEach((el) => el.remove());
      last.after(copy);
      const first = $("input", copy);
      if (first) first.focus();
    });
  });
}

// The activity form shows the fields of the chosen kind only; the others are disabled,
// so that nothing typed before a change of kind is sent.
function activitySections() {
  const kind = $("#record-form #f-kind");
  if (!kind || !$("[data-section='activity.task']")) return;
  const sections = { call: "activity.call_email", email: "activity.call_email", meeting: "activity.meeting", task: "activity.task" };
  const show = () => {
    $$("[data-section^='activity.']").forEach((fs) => {
      const on = sections[kind.value] === fs.dataset.section;
      fs.hidden = !on;
      $$("input, select, textarea", fs).forEach((el) => { el.disabled = !on; });
    });
  };
  kind.addEventListener("change", show);
  show();
}

// While a contact is typed: likely existing matches.
function similarHint() {
  const form = $("#record-form");
  const box = $("#similar");
  if (!form || !box || !form.dataset.similar) return;
  const ask = debounce(async () => {
    const body = new URLSearchParams(new FormData(form));
    const res = await fetch(form.dataset.similar, { method: "POST", body });
    if (res.ok) box.innerHTML = await res.text();
  }, 350);
  form.addEventListener("input", (e) => {
    const n = e.target.name || "";
    if (/^(first_name|last_name|emails\[\d+\]\.address|phones\[\d+\]\.number)$/.test(n)) ask();
  });
}

// Pickers (contact, organisation, deal, product): search by name, keep the id.
function pickers() {
  $$(".pick-search").forEach((input) => {
    const hidden = input.parentElement.querySelector(".pick-id");
    const list = document.getElementById(input.getAttribute("list"));
    const lookup = debounce(async () => {
      const q = input.value.trim();
      if (!q) return;
      const res = await fetch(`${input.dataset.source}?q=${encodeURIComponent(q)}`);
      if (!res.ok) return;
      const items = await res.json();
      list.innerHTML = "";
      items.forEach((o) => {
        const opt = document.createElement("option");
        opt.value = o.name; opt.dataset.id = o.id;
        list.append(opt);
      });
      pick();
    }, 200);
    function pick() {
      const match = Array.from(list.options).find((o) => o.value === input.value);
      if (match) hidden.value = match.dataset.id;
      else if (!input.value.trim()) hidden.value = "";
    }
    input.addEventListener("input", () => { pick(); lookup(); });
    input.addEventListener("change", pick);
  });
}

// The kanban board: drop a card on another column to move the deal there. The
// selection and button on each card do the same without a mouse.
function board() {
  const boardEl = $("#board");
  if (!boardEl) return;
  let dragged = null;
  $$(".deal-card", boardEl).forEach((card) => {
    card.addEventListener("dragstart", (e) => { dragged = card; e.dataTransfer.setData("text/plain", card.dataset.deal); card.classList.add("dragging"); });
    card.addEventListener("dragend", () => card.classList.remove("dragging"));
  });
  $$(".board-column", boardEl).forEach((column) => {
    column.addEventListener("dragover", (e) => { e.preventDefault(); column.classList.add("drop"); });
    column.addEventListener("dragleave", () => column.classList.remove("drop"));
    column.addEventListener("drop", (e) => {
      e.preventDefault();
      column.classList.remove("drop");
      if (!dragged || dragged.closest(".board-column") === column) return;
      const form = $("form.move", dragged);
      if (!form) return;
      $("select", form).value = column.dataset.stage;
      $(".cards", column).append(dragged);
      form.submit();
    });
  });
}

// The browser's time zone, for the server to read and write local date-times.
function rememberTimeZone() {
  const minutes = -new Date().getTimezoneOffset();
  document.cookie = `kartei_tz=${minutes}; path=/; SameSite=Lax; max-age=31536000`;
}

// An import file goes up with a progress bar; the page the server answers with (the
// mapping, or the upload page with a notice) is then opened. Without this script the
// form posts as usual.
function uploadProgress() {
  const form = $("#upload-form");
  const bar = $("#upload-progress");
  if (!form || !bar || !window.FormData) return;
  const percent = $("#upload-percent");
  form.addEventListener("submit", (e) => {
    if (e.defaultPrevented) return;
    e.preventDefault();
    const button = $("button", form);
    if (button) button.disabled = true;
    bar.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (p) => {
      if (!p.lengthComputable) return;
      const done = Math.round((100 * p.loaded) / p.total);
      bar.value = done;
      percent.textContent = `${done} %`;
    });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400 && xhr.responseURL) window.location.assign(xhr.responseURL);
      else form.submit();
    });
    xhr.addEventListener("error", () => form.submit());
    xhr.send(new FormData(form));
  });
}

// The short log form on a record's page shows the fields of the chosen kind only.
function logForm() {
  const form = $("#log-form");
  if (!form) return;
  const show = () => {
    const kind = ($("input[name=kind]:checked", form) || {}).value;
    $$(".log-only", form).forEach((part) => {
      const on = part.dataset.kinds.split(" ").includes(kind);
      part.hidden = !on;
      $$("input, select, textarea", part).forEach((el) => { el.disabled = !on; });
    });
  };
  form.addEventListener("change", show);
  show();
}

// Coming from a card's "lost" link, the reason form is open.
function openLoseForm() {
  const menu = $("#lose-menu");
  if (menu && window.location.hash === "#close") menu.open = true;
}

// "My day": ticking off a task happens in place; the page does not reload or jump.
function tickOff() {
  const status = $("#tick-status");
  $$("form.tick").forEach((form) => form.addEventListener("submit", (e) => {
    e.preventDefault();
    const item = form.closest("li.task");
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), redirect: "follow" })
      .then((r) => {
        if (!r.ok || !r.url.includes("notice=saved.")) { form.submit(); return; }
        const list = item.parentElement;
        item.remove();
        if (status) status.textContent = form.dataset.ticked;
        const count = list.previousElementSibling && $(".small", list.previousElementSibling);
        if (count) count.textContent = String(list.children.length);
      })
      .catch(() => form.submit());
  }));
}

// On a phone the sidebar is a menu behind a button; without script the button is a
// link to the menu, which CSS shows as its target.
function phoneMenu() {
  const button = $("#menu-button");
  const menu = $("#sidebar");
  if (!button || !menu) return;
  const show = (open) => {
    menu.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", (e) => {
    e.preventDefault();
    show(!menu.classList.contains("open"));
  });
  const close = $("#menu-close");
  if (close) close.addEventListener("click", (e) => {
    e.preventDefault();
    show(false);
    button.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && menu.classList.contains("open")) show(false);
  });
}

// On a phone the board shows one stage at a time; the switcher above it picks the
// stage. Without script the stages stand one below the other.
function stageSwitch() {
  const boardEl = $("#board");
  const nav = $("#stage-switch");
  if (!boardEl || !nav) return;
  const links = $$("a", nav);
  const pick = (stage) => {
    $$(".board-column", boardEl).forEach((c) => c.classList.toggle("current", c.dataset.stage === stage));
    links.forEach((a) => a.setAttribute("aria-current", String(a.dataset.switch === stage)));
  };
  links.forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    pick(a.dataset.switch);
  }));
  const first = links[0];
  if (!first) return;
  boardEl.classList.add("one-stage");
  pick(first.dataset.switch);
}

document.addEventListener("DOMContentLoaded", () => {
  phoneMenu();
  stageSwitch();
  tickOff();
  logForm();
  openLoseForm();
  uploadProgress();
  localTimes();
  tagColours();
  selection();
  bulkActions();
  filterBuilder();
  listForm();
  quickSearch();
  repeatedRows();
  similarHint();
  pickers();
  activitySections();
  board();
  rememberTimeZone();
});
