// The review page's behaviour: actions as JSON POSTs (with the CSRF token), in-place editing,
// and the keyboard (j/k/a/x/e/?), which is off while typing. No framework, no CDN.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    credentials: "same-origin",
    body: JSON.stringify(body || {}),
  });
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

async function act(card, action, body) {
  const url = "/api/" + card.dataset.date + "/" + card.dataset.id + "/" + action;
  const message = card.querySelector(".entry > .message");
  if (action === "regenerate") show(message, "생성 중…", [], "info");
  const result = await post(url, Object.assign({ base: Number(card.dataset.base) }, body));
  if (result.ok) {
    sessionStorage.setItem("review-current", card.id);
    location.reload();
    return;
  }
  const problems = result.status === 409 ? conflictText(result.data) : result.data.problems;
  show(message, result.data.error || "실패했습니다", problems);
}

function startEdit(section) {
  if (section.querySelector("textarea")) return;
  const card = section.closest(".card");
  const p = section.querySelector(".text");
  const area = document.createElement("textarea");
  area.value = p.textContent === "(없음)" ? "" : p.textContent;
  area.rows = 6;
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
  const finish = () => { box.remove(); p.hidden = false; section.querySelector(".edit").hidden = false; };
  const submit = () => act(card, "edit", { sections: { [section.dataset.section]: area.value } });
  save.addEventListener("click", submit);
  cancel.addEventListener("click", finish);
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
    if (e.key === "Escape") { finish(); }
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
  card.addEventListener("click", () => select(card, false));
  // An unreachable thumbnail (offline, moved) leaves no broken-image box.
  card.querySelectorAll("img.thumb").forEach((img) => {
    img.addEventListener("error", () => { img.hidden = true; });
    if (img.complete && img.naturalWidth === 0) img.hidden = true;
  });
}

let cards = [];
let current = null;

function select(card, scroll) {
  if (!card) return;
  if (current) current.classList.remove("current");
  current = card;
  card.classList.add("current");
  if (scroll) card.scrollIntoView({ block: "start", behavior: "instant" });
}

function move(step) {
  const i = cards.indexOf(current);
  select(cards[Math.min(cards.length - 1, Math.max(0, i + step))], true);
}

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

document.addEventListener("keydown", (e) => {
  const help = document.getElementById("help");
  if (e.key === "Escape") { help.hidden = true; return; }
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  const keys = {
    j: () => move(1),
    k: () => move(-1),
    a: () => current && act(current, "approve"),
    x: () => current && openExclude(current),
    e: () => current && startEdit(current.querySelector(".section")),
    "?": () => { help.hidden = !help.hidden; },
  };
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
});

document.addEventListener("DOMContentLoaded", () => {
  cards = Array.from(document.querySelectorAll(".card"));
  cards.forEach(wire);
  const remembered = document.getElementById(sessionStorage.getItem("review-current") || "");
  select(remembered || cards[0], Boolean(remembered));
  const help = document.getElementById("show-help");
  if (help) help.addEventListener("click", () => {
    document.getElementById("help").hidden = !document.getElementById("help").hidden;
  });
  const publish = document.getElementById("publish");
  if (publish) publish.addEventListener("click", async () => {
    const message = document.getElementById("day-message");
    const result = await post("/api/" + publish.dataset.date + "/publish", {});
    if (result.ok) {
      const d = result.data;
      show(message, (d.unchanged ? "변경 없음: " : "발행했습니다: ") + "v" + d.version +
        ", 논문 " + d.papers + "편 → " + d.path, [], "ok");
    } else {
      show(message, result.data.error || "발행 실패", result.data.problems);
    }
    message.scrollIntoView({ block: "center" });
  });
});
