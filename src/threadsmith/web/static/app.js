// Threadsmith workbench: small hand-written script. Pages are rendered by the server; this file only
// sends edits (JSON, with the CSRF header) and reloads. Data never goes through innerHTML: text only.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const enc = encodeURIComponent;

class ApiError extends Error {
  constructor(error) { super(error.message); this.error = error; }
}

async function api(method, url, body) {
  const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(data.error || { status: response.status, code: "error", message: response.statusText });
  }
  return data;
}

function notice(text, { error = false, reload = false } = {}) {
  const box = document.getElementById("notice");
  if (!box) return;
  document.getElementById("notice-text").textContent = text;
  box.classList.toggle("error", error);
  document.getElementById("notice-reload").hidden = !reload;
  box.hidden = false;
}

function fail(err) {
  const e = err instanceof ApiError ? err.error : { code: "error", message: String(err) };
  if (e.code === "conflict") {
    notice(`Not saved: ${e.message} Your text is kept on this page; reload to see the latest version, then redo the edit.`,
      { error: true, reload: true });
  } else {
    notice(e.message + (e.hint ? ` ${e.hint}` : ""), { error: true });
  }
}

function after(message) {
  // Remember the message across the reload, so the new state is shown with it.
  sessionStorage.setItem("threadsmith-notice", message);
  window.location.reload();
}

document.addEventListener("DOMContentLoaded", () => {
  const stored = sessionStorage.getItem("threadsmith-notice");
  if (stored) { sessionStorage.removeItem("threadsmith-notice"); notice(stored); }
  document.getElementById("notice-close")?.addEventListener("click", () => { document.getElementById("notice").hidden = true; });
  document.getElementById("notice-reload")?.addEventListener("click", () => window.location.reload());
  setupDatasets();
  setupEditor();
  setupHistory();
  setupFindings();
  setupLibrary();
});

function savedText(result) {
  const v = result.version;
  return v ? `Saved as version ${v.number}: ${v.message}` : "Nothing changed.";
}

/* datasets page ---------------------------------------------------------------------------------- */
function setupDatasets() {
  document.querySelectorAll('button[data-action="audit"]').forEach((button) => {
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Auditing…";
      try {
        const summary = await api("POST", `/api/datasets/${enc(button.dataset.dataset)}/audit`);
        after(`Audited ${button.dataset.dataset}: ${summary.findings} findings.`);
      } catch (err) { fail(err); button.disabled = false; button.textContent = "Audit"; }
    });
  });
}

/* conversation editor ---------------------------------------------------------------------------- */
function setupEditor() {
  const root = document.getElementById("editor");
  if (!root) return;
  const base = `/api/datasets/${enc(root.dataset.dataset)}/entries/${enc(root.dataset.key)}`;
  const since = Number(root.dataset.since);
  const readonly = root.dataset.readonly === "yes";
  const turns = () => Array.from(document.querySelectorAll("li.turn"));
  let focused = -1;

  async function save(operations, message) {
    if (readonly) { notice("This is an old version; open the latest to edit.", { error: true }); return false; }
    try {
      const result = await api("POST", `${base}/edits`, { base_version: since, operations, message });
      after(savedText(result));
      return true;
    } catch (err) { fail(err); return false; }
  }

  function focusTurn(i) {
    const all = turns();
    if (!all.length) return;
    focused = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((li, k) => li.classList.toggle("focused", k === focused));
    all[focused].focus();
    all[focused].scrollIntoView({ block: "nearest" });
  }

  function startEdit(li) {
    if (li.querySelector("textarea")) { li.querySelector("textarea").focus(); return; }
    const index = Number(li.dataset.index);
    const text = li.querySelector(".text");
    const area = document.createElement("textarea");
    area.value = text.textContent;
    area.rows = Math.min(24, Math.max(3, area.value.split("\n").length + 1));
    area.setAttribute("aria-label", `Text of turn ${index}`);
    const bar = document.createElement("div");
    bar.className = "edit-actions";
    const ok = document.createElement("button");
    ok.type = "submit"; ok.textContent = "Save"; ok.className = "save";
    const cancel = document.createElement("button");
    cancel.type = "button"; cancel.textContent = "Cancel";
    bar.append(ok, cancel);
    text.hidden = true;
    text.after(area, bar);
    area.focus();
    const stop = () => { area.remove(); bar.remove(); text.hidden = false; li.focus(); };
    ok.addEventListener("click", () => save([{ op: "set-text", index, text: area.value }]));
    cancel.addEventListener("click", stop);
    area.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && (ev.key === "Enter" || ev.key === "s")) { ev.preventDefault(); ok.click(); }
      if (ev.key === "Escape") { ev.preventDefault(); stop(); }
    });
  }

  root.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button[data-turn-op], button[data-entry-op]");
    if (!button) return;
    const li = button.closest("li.turn");
    const index = li ? Number(li.dataset.index) : turns().length;
    const op = button.dataset.turnOp || button.dataset.entryOp;
    if (op === "edit") return startEdit(li);
    if (op === "up") return save([{ op: "move-turn", source: index, target: index - 1 }]);
    if (op === "down") return save([{ op: "move-turn", source: index, target: index + 1 }]);
    if (op === "delete" && li) {
      if (confirm(`Delete turn ${index}?`)) save([{ op: "delete-turn", index }]);
      return;
    }
    if (op === "insert" || op === "append") {
      const role = li ? (li.classList.contains("user") ? "assistant" : "user") : "user";
      return save([{ op: "insert-turn", index: li ? index + 1 : index, role, text: "" }]);
    }
    if (op === "split") return save([{ op: "split", at: index }]);
    if (op === "duplicate" || op === "include") return save([{ op }]);
    if (op === "delete") {
      if (confirm("Delete this entry from the dataset? (Earlier versions keep it.)")) save([{ op: "delete" }]);
      return;
    }
    if (op === "exclude") {
      const reason = prompt("Why is this entry excluded?", "not suitable for training");
      if (reason) save([{ op: "exclude", reason }]);
      return;
    }
    if (op === "join") {
      const keys = prompt("Append the turns of which entries (keys, comma-separated)?");
      const others = (keys || "").split(",").map((k) => k.trim()).filter(Boolean);
      if (others.length) save([{ op: "join", others }]);
      return;
    }
    if (op === "undo") {
      try { after(savedText(await api("POST", `${base}/undo`, { base_version: since }))); } catch (err) { fail(err); }
    }
  });

  root.addEventListener("change", (ev) => {
    const select = ev.target.closest("select.role");
    if (select) save([{ op: "set-role", index: Number(select.dataset.index), role: select.value }]);
  });

  document.getElementById("tags-form")?.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const tags = document.getElementById("tags-input").value.split(",").map((t) => t.trim()).filter(Boolean);
    save([{ op: "set-tags", tags }]);
  });

  document.addEventListener("keydown", (ev) => {
    const typing = ev.target.closest("input, textarea, select");
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "j") { ev.preventDefault(); focusTurn(focused + 1); }
    else if (ev.key === "k") { ev.preventDefault(); focusTurn(focused - 1); }
    else if (ev.key === "e" && focused >= 0) { ev.preventDefault(); startEdit(turns()[focused]); }
    else if (ev.key === "u") { ev.preventDefault(); root.querySelector('button[data-entry-op="undo"]').click(); }
  });
}

/* history ---------------------------------------------------------------------------------------- */
function setupHistory() {
  const table = document.getElementById("versions");
  if (!table) return;
  const base = `/api/datasets/${enc(table.dataset.dataset)}`;
  table.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button[data-history-op]");
    if (!button) return;
    const version = Number(button.dataset.version);
    try {
      if (button.dataset.historyOp === "restore") {
        if (!confirm(`Make a new version with the entries of version ${version}? History keeps everything.`)) return;
        const result = await api("POST", `${base}/restore`, { version });
        after(result.version ? `Restored: version ${result.version.number}.` : "Already the same as that version.");
      } else {
        const name = prompt(`Name for version ${version} (letters, digits, . _ -):`);
        if (!name) return;
        await api("POST", `${base}/tags`, { version, name, move: false });
        after(`Tagged version ${version} as ${name}.`);
      }
    } catch (err) { fail(err); }
  });
}

/* findings --------------------------------------------------------------------------------------- */
function renderPreview(box, preview, onApply) {
  box.replaceChildren();
  if (!preview.changes) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "The fix changes nothing in this entry now.";
    box.append(p);
  }
  if (preview.changes && !preview.turns.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "The fix changes the entry outside its turns (tags or metadata).";
    box.append(p);
  }
  for (const turn of preview.turns) {
    const label = document.createElement("p");
    label.className = "turn-label";
    const roles = turn.before_role && turn.after_role && turn.before_role !== turn.after_role
      ? ` · role ${turn.before_role} → ${turn.after_role}` : ` · ${turn.before_role || turn.after_role}`;
    label.textContent = `turn ${turn.before_index ?? ""}${turn.after_index !== null && turn.before_index !== null ? " → " : ""}${turn.after_index ?? ""} · ${turn.kind}${roles}`;
    const pre = document.createElement("pre");
    pre.className = "lines";
    for (const line of turn.lines) {
      const span = document.createElement("span");
      const mark = turn.kind === "added" ? "+ " : turn.kind === "removed" ? "- " : "";
      span.textContent = mark + line;
      const first = mark || line.charAt(0);
      span.className = first.startsWith("+") ? "add" : first.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
      pre.append(span);
    }
    box.append(label);
    if (turn.lines.length) box.append(pre);
  }
  if (preview.changes) {
    const bar = document.createElement("div");
    bar.className = "preview-actions";
    const apply = document.createElement("button");
    apply.type = "button"; apply.className = "small apply"; apply.textContent = preview.drops ? "Apply (excludes the entry)" : "Apply this fix";
    apply.addEventListener("click", onApply);
    bar.append(apply);
    box.append(bar);
  }
  box.hidden = false;
}

function setupFindings() {
  const root = document.getElementById("findings");
  if (!root) return;
  const base = `/api/datasets/${enc(root.dataset.dataset)}`;
  root.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button[data-findings-op]");
    if (!button) return;
    const { code, key } = button.dataset;
    const op = button.dataset.findingsOp;
    try {
      if (op === "preview") {
        const box = button.closest("li").querySelector(".preview");
        if (!box.hidden) { box.hidden = true; return; }
        const preview = await api("GET", `${base}/entries/${enc(key)}/fix-preview?code=${enc(code)}`);
        renderPreview(box, preview, async () => {
          try {
            const result = await api("POST", `${base}/entries/${enc(key)}/fix`, { codes: [code], base_version: preview.base_version });
            after(savedText(result));
          } catch (err) { fail(err); }
        });
      } else if (op === "fix-all") {
        const unsafe = button.dataset.unsafe === "yes";
        if (!confirm(`Apply the ${code} fix to every entry that has it${unsafe ? " (an unsafe fix: review the diff after)" : ""}? One new version; undo with Restore in History.`)) return;
        after(savedText(await api("POST", `${base}/findings/${enc(code)}/fix`, { unsafe })));
      } else if (op === "dismiss") {
        const reason = prompt(`Why is ${code} not a problem in ${key}?`);
        if (!reason) return;
        await api("POST", `${base}/entries/${enc(key)}/dismissals`, { code, reason });
        after(`Dismissed ${code} on ${key}.`);
      } else if (op === "undismiss") {
        await api("DELETE", `${base}/entries/${enc(key)}/dismissals/${enc(code)}`);
        after(`${code} on ${key} is shown again.`);
      }
    } catch (err) { fail(err); }
  });
}

/* library ---------------------------------------------------------------------------------------- */
function setupLibrary() {
  document.getElementById("card-form")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = document.getElementById("card-file").files[0];
    if (!file) return;
    try {
      const response = await fetch("/api/characters", { method: "POST", credentials: "same-origin", body: file,
        headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/octet-stream" } });
      const data = await response.json();
      if (!response.ok) throw new ApiError(data.error);
      after(`Imported ${data.character.name}.`);
    } catch (err) { fail(err); }
  });
  document.getElementById("prompt-form")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const name = document.getElementById("prompt-name").value;
      await api("POST", "/api/prompts", { name, text: document.getElementById("prompt-text").value });
      after(`Added the prompt ${name}.`);
    } catch (err) { fail(err); }
  });
}
