// The review page's behaviour: actions as JSON POSTs (with the CSRF token) that update the card
// in place, the editor's name, the queue filter, and the keyboard (j/k/n/a/x/e/?), which is off
// while typing. The *current paper* is one thing: it follows focus and clicks, j/k/n move it
// and focus with it, a/x/e act on it. No framework, no CDN.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;

async function post(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
      body: JSON.stringify(body || {}),
    });
  } catch (e) {
    return { ok: false, status: 0, data: { error: "서버에 연결할 수 없습니다" } };
  }
  let data = {};
  try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
  return { ok: response.ok, status: response.status, data };
}

function show(el, text, problems, kind) {
  el.hidden = false;
  el.className = "message " + (kind || "error");
  el.textContent = text;
  if (problems && problems.length) {
    const list = document.createElement("ul");
    for (const p of problems) {
      const li = document.createElement("li");
      li.textContent = p;
      list.appendChild(li);
    }
    el.appendChild(list);
  }
}

function conflictText(data) {
  const lines = [];
  for (const [name, text] of Object.entries(data.yours || {})) {
    lines.push("내 텍스트 (" + name + "): " + text);
    lines.push("저장된 텍스트: " + ((data.theirs || {})[name] || ""));
  }
  return lines;
}

// What had focus inside a card, so the same control has it again after the card is redrawn.
function focusKey(card) {
  const active = document.activeElement;
  if (!active || !card.contains(active) || active === card) return null;
  const section = active.closest(".section");
  const classes = Array.from(active.classList).map((c) => "." + c).join("");
  return { section: section ? section.dataset.section : null, selector: active.tagName.toLowerCase() + classes };
}

function restoreFocus(card, key) {
  let target = null;
  if (key) {
    const scope = key.section ? card.querySelector('.section[data-section="' + key.section + '"]') : card;
    if (scope) {
      try { target = scope.querySelector(key.selector); } catch (e) { target = null; }
    }
  }
  (target && !target.hidden ? target : card).focus({ preventScroll: true });
}

function replaceCard(card, html) {
  const holder = document.createElement("div");
  holder.innerHTML = html;
  const fresh = holder.querySelector(".card");
  if (!fresh) return card;
  const key = focusKey(card);
  const wasCurrent = card === current;
  card.replaceWith(fresh);
  cards[cards.indexOf(card)] = fresh;
  wire(fresh);
  if (wasCurrent) select(fresh, false, false);
  restoreFocus(fresh, key);
  return fresh;
}

function updateProgress(decided, total) {
  const d = document.getElementById("decided");
  const t = document.getElementById("total");
  if (d) d.textContent = decided;
  if (t) t.textContent = total;
  applyFilter();
}

async function act(card, action, body) {
  const url = "/api/" + card.dataset.date + "/" + card.dataset.id + "/" + action;
  const message = card.querySelector(".entry > .message");
  if (action === "regenerate") show(message, "생성 중…", [], "info");
  const result = await post(url, Object.assign({ base: Number(card.dataset.base) }, body));
  if (result.ok) {
    const fresh = replaceCard(card, result.data.html);
    updateProgress(result.data.decided, result.data.total);
    const done = { approve: "승인했습니다", exclude: "제외했습니다", edit: "저장했습니다",
      regenerate: "후보를 만들었습니다", accept: "수락했습니다", discard: "버렸습니다",
      restore: "복원했습니다" }[action];
    if (done) show(fresh.querySelector(".entry > .message"), done, [], "ok");
    return;
  }
  if (result.data.need_editor) { askEditor(); }
  const problems = result.status === 409 ? conflictText(result.data) : result.data.problems;
  show(message, result.data.error || "실패했습니다", problems);
}

function startEdit(section) {
  if (section.querySelector("textarea")) return;
  const card = section.closest(".card");
  const p = section.querySelector(".text");
  const heading = section.querySelector("h3");
  const area = document.createElement("textarea");
  area.value = p.textContent === "(없음)" ? "" : p.textContent;
  area.rows = 6;
  area.setAttribute("aria-label", (heading ? heading.textContent : "섹션") + " 편집");
  const save = document.createElement("button");
  save.textContent = "저장";
  save.className = "save primary";
  const cancel = document.createElement("button");
  cancel.textContent = "취소";
  cancel.className = "cancel";
  const box = document.createElement("div");
  box.className = "editor";
  box.append(area, save, cancel);
  p.hidden = true;
  section.querySelector(".edit").hidden = true;
  section.appendChild(box);
  const finish = () => {
    box.remove(); p.hidden = false;
    const edit = section.querySelector(".edit");
    edit.hidden = false; edit.focus();
  };
  const submit = () => act(card, "edit", { sections: { [section.dataset.section]: area.value } });
  save.addEventListener("click", submit);
  cancel.addEventListener("click", finish);
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
    if (e.key === "Escape") { e.stopPropagation(); finish(); }
  });
  area.focus();
}

function openExclude(card) {
  const form = card.querySelector(".exclude-form");
  form.hidden = false;
  form.querySelector("input").focus();
}

function wire(card) {
  card.querySelectorAll(".section .edit").forEach((b) =>
    b.addEventListener("click", () => startEdit(b.closest(".section"))));
  card.querySelector(".approve").addEventListener("click", () => act(card, "approve"));
  card.querySelector(".exclude").addEventListener("click", () => openExclude(card));
  const reason = card.querySelector(".reason-input");
  const exclude = () => act(card, "exclude", { reason: reason.value });
  card.querySelector(".exclude-confirm").addEventListener("click", exclude);
  reason.addEventListener("keydown", (e) => { if (e.key === "Enter") exclude(); });
  card.querySelector(".regenerate").addEventListener("click", () => act(card, "regenerate", {
    prompt: card.querySelector(".regen-prompt").value,
    model: card.querySelector(".regen-model").value,
    section: card.querySelector(".regen-section").value,
  }));
  card.querySelectorAll(".candidate").forEach((c) => {
    const number = Number(c.dataset.number);
    c.querySelector(".accept").addEventListener("click", () => act(card, "accept", { number }));
    c.querySelector(".discard").addEventListener("click", () => act(card, "discard", { number }));
  });
  card.querySelectorAll(".history .restore").forEach((b) => b.addEventListener("click", () =>
    act(card, "restore", { number: Number(b.closest("li").dataset.number) })));
  // The current paper follows focus and clicks, so a key acts where the editor is.
  card.addEventListener("focusin", () => select(card, false, false));
  card.addEventListener("mousedown", () => select(card, false, false));
  // An unreachable thumbnail (offline, moved) leaves no broken-image box.
  card.querySelectorAll("img.thumb").forEach((img) => {
    img.addEventListener("error", () => { img.hidden = true; });
    if (img.complete && img.naturalWidth === 0) img.hidden = true;
  });
}

let cards = [];
let current = null;

function select(card, scroll, focus) {
  if (!card) return;
  if (current && current !== card) {
    current.classList.remove("current");
    current.removeAttribute("aria-current");
  }
  current = card;
  card.classList.add("current");
  card.setAttribute("aria-current", "true");
  if (focus) card.focus({ preventScroll: true });
  if (scroll) card.scrollIntoView({ block: "start", behavior: "instant" });
}

function visible(card) {
  return !card.closest("li").hidden;
}

function move(step) {
  const shown = cards.filter(visible);
  if (!shown.length) return;
  const i = shown.indexOf(current);
  const next = i < 0 ? shown[0] : shown[Math.min(shown.length - 1, Math.max(0, i + step))];
  select(next, true, true);
}

function undecided(card) {
  return !["approved", "excluded"].includes(card.dataset.state);
}

function nextUndecided() {
  const start = Math.max(0, cards.indexOf(current));
  for (let k = 1; k <= cards.length; k++) {
    const card = cards[(start + k) % cards.length];
    if (undecided(card) && visible(card)) { select(card, true, true); return; }
  }
  const message = document.getElementById("day-message");
  if (message) show(message, "모든 논문이 결정되었습니다. 발행할 수 있습니다.", [], "ok");
}

function applyFilter() {
  const select = document.getElementById("filter");
  const queue = document.getElementById("queue");
  if (!select || !queue) return;
  const want = select.value;
  const items = cards.map((card) => card.closest("li"));
  items.forEach((li, i) => {
    const card = cards[i];
    const state = card.dataset.state;
    li.hidden = !(want === "" || (want === "undecided" ? undecided(card) : state === want));
    // needs_review first when looking at what is left to decide.
    li.style.order = want === "undecided" && state === "needs_review" ? "-1" : "0";
  });
}

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable], dialog") !== null;
}

function toggleHelp() {
  const help = document.getElementById("help");
  if (help.open) help.close(); else help.showModal();
}

function askEditor() {
  const dialog = document.getElementById("editor-dialog");
  if (dialog && !dialog.open) {
    dialog.showModal();
    document.getElementById("editor-input").focus();
  }
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  const keys = {
    j: () => move(1),
    k: () => move(-1),
    n: () => nextUndecided(),
    a: () => current && act(current, "approve"),
    x: () => current && openExclude(current),
    e: () => current && startEdit(current.querySelector(".section")),
    "?": toggleHelp,
  };
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
});

document.addEventListener("DOMContentLoaded", () => {
  cards = Array.from(document.querySelectorAll(".card"));
  cards.forEach(wire);
  if (cards.length) select(cards[0], false, false);
  document.getElementById("show-help").addEventListener("click", toggleHelp);
  document.getElementById("change-editor").addEventListener("click", askEditor);
  document.getElementById("editor-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = document.getElementById("editor-input").value;
    const result = await post("/api/editor", { name });
    if (result.ok) {
      document.getElementById("editor-name").textContent = result.data.editor;
      document.body.dataset.editor = result.data.editor;
      document.getElementById("editor-dialog").close();
    } else {
      show(document.getElementById("editor-message"), result.data.error || "실패했습니다");
    }
  });
  if (!document.body.dataset.editor) askEditor();
  const filter = document.getElementById("filter");
  if (filter) filter.addEventListener("change", applyFilter);
  const next = document.getElementById("next-undecided");
  if (next) next.addEventListener("click", nextUndecided);
  const publish = document.getElementById("publish");
  if (publish) publish.addEventListener("click", async () => {
    const message = document.getElementById("day-message");
    const result = await post("/api/" + publish.dataset.date + "/publish", {});
    if (result.ok) {
      const d = result.data;
      show(message, (d.unchanged ? "변경 없음: " : "발행했습니다: ") + "v" + d.version +
        ", 논문 " + d.papers + "편 → " + d.path, [], "ok");
    } else {
      if (result.data.need_editor) askEditor();
      show(message, result.data.error || "발행 실패", result.data.problems);
    }
    message.scrollIntoView({ block: "center" });
  });
});
