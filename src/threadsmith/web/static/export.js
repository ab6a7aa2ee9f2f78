// Export page: sends the form as JSON (with the CSRF header, through app.js's api()) and opens the
// manifest page of the export when it is written. Text only: nothing goes through innerHTML.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("export-form");
  if (!form) return;
  const list = (value) => value.split(",").map((s) => s.trim()).filter(Boolean);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const text = (name) => (f.get(name) || "").toString().trim();
    const body = {
      folder: text("folder"), target: text("target"), version: text("version") || "latest",
      split: text("split") || null, seed: Number(text("seed") || 0), stratify: text("stratify") || null,
      tags: list(text("tags")), drop_severity: text("drop_severity") || null, drop_codes: list(text("drop_codes")),
      min_score: text("min_score") === "" ? null : Number(text("min_score")),
      tokenizer: text("tokenizer") || null, template: text("template") || null,
      skip_unsupported: f.get("skip_unsupported") !== null,
    };
    const button = document.getElementById("export-run");
    const status = document.getElementById("export-status");
    button.disabled = true;
    status.textContent = "Exporting… (large datasets take a while)";
    try {
      const dataset = form.dataset.dataset;
      const result = await api("POST", `/api/datasets/${enc(dataset)}/exports`, body);
      sessionStorage.setItem("threadsmith-notice",
        `Exported ${result.counts.written} of ${result.counts.read} entries to ${result.folder}` +
        (result.counts.unsupported ? ` (${result.counts.unsupported} the target cannot take left out).` : "."));
      window.location.assign(`/datasets/${enc(dataset)}/exports/${enc(result.folder)}`);
    } catch (err) {
      fail(err);
      status.textContent = "";
      button.disabled = false;
    }
  });
});
