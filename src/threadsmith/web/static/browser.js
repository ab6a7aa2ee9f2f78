// Dataset browser: fills the Tag filter's suggestions (most used tags with their counts) the first time
// it gets focus, from GET /api/datasets/NAME/tags. Options are built with the DOM: text only.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[data-tags]");
  const list = document.getElementById("tag-list");
  if (!input || !list) return;
  let loaded = false;
  const load = async () => {
    if (loaded) return;
    loaded = true;
    try {
      const response = await fetch(input.dataset.tags, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      for (const t of data.tags) {
        const option = document.createElement("option");
        option.value = t.tag;
        option.label = `${t.count.toLocaleString()} entries${t.category ? ` · ${t.category}` : ""}`;
        list.appendChild(option);
      }
      input.dataset.loaded = String(data.tags.length);
    } catch (err) { loaded = false; }
  };
  input.addEventListener("focus", load);
  input.addEventListener("pointerdown", load);
});
