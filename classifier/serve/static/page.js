// The page: suggest fields for a pasted text or an uploaded file, and review the queue.
// Plain DOM, nothing loaded from elsewhere; every text from the server goes in as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const COLOURS = 6;
// Why the model accepted no field, by the flag it gives when it abstains.
const ABSTAINED = {
  "language": "the text does not read as English",
  "out-of-scope": "the text does not read like an OSCE policy text",
  "too-short": "the text is too short to judge, and no field reaches its threshold",
};
let currentItem = null;

// An error of the server's answer carries its status; one with none means the server did not answer.
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    const error = new Error("the server did not answer: is it still running? Nothing was confirmed; reload the page when it is back");
    error.status = 0;
    throw error;
  }
  let body = null;
  if (response.status !== 204) {
    try { body = await response.json(); } catch (e) { body = null; }
  }
  if (!response.ok) {
    const error = new Error(body && body.detail ? body.detail : `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function projectId() { return $("project").value; }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function setStatus(id, message, kind = "") {
  const node = $(id);
  node.textContent = message;
  node.className = "status" + (kind ? " " + kind : "");
}

// Colour index per accepted field, in the order the model ranks them.
function colourIndex(explanation) {
  const index = {};
  explanation.results.filter((r) => r.accepted).forEach((r, i) => { index[r.label] = i % COLOURS; });
  return index;
}

function fillScores(tbody, explanation, ticked) {
  tbody.replaceChildren();
  const colours = colourIndex(explanation);
  for (const r of explanation.results) {
    const row = el("tr", { class: r.accepted ? "accepted" : "", "data-label": r.label });
    const mark = el("td", { class: "mark" });
    if (ticked) {
      const box = el("input", { type: "checkbox", name: "labels", value: r.label, "aria-label": r.label });
      box.checked = ticked.includes(r.label);
      mark.append(box);
    } else if (r.accepted) {
      mark.textContent = "✓";
      mark.title = "accepted";
    }
    const name = el("td", {}, r.label);
    if (r.flag) name.append(el("span", { class: "flag", text: r.flag }));
    const bar = el("span", { class: "bar" });
    bar.style.width = `${Math.round(r.score * 60)}px`;  // through the DOM: the page's policy refuses inline style attributes
    const score = el("td", { class: "score" }, bar, r.score.toFixed(2));
    const terms = el("td", { class: "terms" });
    if (r.evidence && r.evidence.length) {
      terms.append(el("span", { class: `swatch c${colours[r.label]}` }));
      terms.append(r.evidence.map((e) => e.term).join(", "));
    }
    if (r.named && r.named.length) {
      terms.append(el("span", { class: "named", text: `named: ${r.named.join(", ")}` }));
    }
    row.append(mark, name, score, terms);
    tbody.append(row);
  }
}

function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

// The text with its accents taken off letter by letter, as the model reads it ("Lajčák" holds the term "lajcak"),
// and of the same length, so that a match in it is the same stretch of the text. A letter whose accents are
// characters of their own (decomposed) is kept as it is.
function foldAccents(text) {
  return text.replace(/\p{L}\p{M}*/gu, (letter) => {
    const bare = letter.normalize("NFD").replace(/\p{M}/gu, "");
    return bare.length === letter.length ? bare : letter;
  });
}

// The text with each evidence term, and each taxonomy phrase that names a field, marked in the colour of the
// field it counted for.
function fillText(article, title, body, explanation) {
  article.replaceChildren();
  if (title) article.append(el("h3", { text: title }));
  const colours = colourIndex(explanation);
  const fieldOf = {};
  const phrases = new Set();  // the taxonomy phrases: found with a plural s or es too, as the rule finds them
  for (const r of explanation.results) {
    const terms = [...(r.evidence || []).map((e) => [e.term, false]), ...(r.named || []).map((n) => [n, true])];
    for (const [term, named] of terms) {
      const key = foldAccents(term).toLowerCase().replace(/\s+/g, " ");
      if (!(key in fieldOf)) fieldOf[key] = r.label;
      if (named) phrases.add(key);
    }
  }
  const terms = Object.keys(fieldOf).sort((a, b) => b.length - a.length);
  if (!terms.length) { article.append(body); return; }
  const alternatives = terms.map((t) => escapeRegExp(t).replace(/\s+/g, "\\s+") + (phrases.has(t) ? "(?:e?s)?" : ""));
  const pattern = new RegExp("(?<![\\p{L}\\p{N}])(" + alternatives.join("|") + ")(?![\\p{L}\\p{N}])", "giu");
  let last = 0;
  for (const match of foldAccents(body).matchAll(pattern)) {
    article.append(body.slice(last, match.index));
    const key = match[0].toLowerCase().replace(/\s+/g, " ");
    const label = [key, key.slice(0, -1), key.slice(0, -2)].map((k) => fieldOf[k]).find((l) => l !== undefined);
    const mark = el("mark", { class: label !== undefined ? `c${colours[label]}` : "c0", title: label || "" });
    mark.textContent = body.slice(match.index, match.index + match[0].length);
    article.append(mark);
    last = match.index + match[0].length;
  }
  article.append(body.slice(last));
}

function showResult(explanation) {
  $("result").hidden = false;
  $("result-title").textContent = explanation.title || "(no title)";
  fillScores($("scores").querySelector("tbody"), explanation, null);
  fillText($("result-text"), explanation.title, explanation.body, explanation);
}

// The last text asked about, asked again when another model is chosen.
let lastAsked = null;
// Counts the questions asked: an answer is drawn only if no question was asked after its own. A long text's
// answer can come after that of a small file chosen meanwhile, and would show the text the editor left.
let questionsAsked = 0;

async function explain(options, label) {
  const question = ++questionsAsked;
  lastAsked = { options, label };
  setStatus("suggest-status", `reading ${label}…`);
  $("suggest-button").disabled = true;
  try {
    const explanation = await api(`v1/projects/${encodeURIComponent(projectId())}/explain`, { method: "POST", ...options });
    if (question !== questionsAsked) return;
    showResult(explanation);
    const accepted = explanation.labels.length;
    if (explanation.flag) setStatus("suggest-status", `no field accepted: ${ABSTAINED[explanation.flag] || explanation.flag}`, "error");
    else setStatus("suggest-status", `${accepted} field${accepted === 1 ? "" : "s"} accepted`);
  } catch (error) {
    if (question === questionsAsked) setStatus("suggest-status", error.message, "error");
  } finally {
    if (question === questionsAsked) $("suggest-button").disabled = false;
  }
}

$("suggest-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) { setStatus("suggest-status", "paste a text first", "error"); return; }
  explain({ headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }) }, "the text");
});

$("file").addEventListener("change", async () => {
  const file = $("file").files[0];
  if (!file) return;
  $("file").value = "";  // else the same file chosen again, edited meanwhile, is no change and is not read again
  const question = ++questionsAsked;
  let body;
  try {
    body = await file.arrayBuffer();
  } catch (error) {  // removed or changed since it was chosen, or not readable: said, not left unanswered
    if (question === questionsAsked) setStatus("suggest-status", `could not read ${file.name}: ${error.message}`, "error");
    return;
  }
  if (question !== questionsAsked) return;  // a text was asked about while the file was read
  // The server decodes the bytes as the command line reads files (BOM, UTF-8, else Windows-1252).
  explain({ headers: { "Content-Type": "application/octet-stream" }, body }, file.name);
});

// ---- review queue ----

function showProgress(progress) {
  const node = $("progress");
  node.replaceChildren(
    el("strong", { id: "labelled-count", text: String(progress.labelled) }), " labelled · ",
    el("strong", { id: "left-count", text: String(progress.left) }), " left",
    progress.skipped ? ` (${progress.skipped} skipped, shown again at the end)` : "",
    progress.not_queued ? ` · ${progress.not_queued} more after a restart` : "",
    ` · written to ${progress.labels_file}`);
  const tbody = $("counts").querySelector("tbody");
  tbody.replaceChildren();
  for (const [label, count] of Object.entries(progress.field_counts)) {
    tbody.append(el("tr", { "data-label": label }, el("td", { class: "count", text: String(count) }), el("td", { text: label })));
  }
}

// The last document saved in this page, with the fields it was saved with: a mis-click can be corrected.
let lastSaved = null;
let correcting = false;

// A decision kept before documents carried a digest could be sent for another text under its id: not offered.
function correctable() { return !!(lastSaved && lastSaved.item && lastSaved.item.digest); }

// Kept for this tab across reloads: the last decision can be changed after the page was reloaded.
function remember(saved) {
  lastSaved = saved;
  try { sessionStorage.setItem("lastSaved", JSON.stringify(saved)); } catch (e) { /* storage off: this page only */ }
}
try { lastSaved = JSON.parse(sessionStorage.getItem("lastSaved")); } catch (e) { lastSaved = null; }

async function loadQueue() {
  const queue = await api(`v1/queue?project=${encodeURIComponent(projectId())}`);
  showProgress(queue.progress);
  correcting = false;
  $("correct-button").hidden = !correctable();
  $("skip-button").textContent = "Skip";
  showItem(queue.next, queue.next && queue.next.suggested);
}

function showItem(item, ticked) {
  currentItem = item;
  $("review-item").hidden = !currentItem;
  $("review-empty").hidden = !!currentItem;
  if (!currentItem) return;
  const explanation = currentItem.explanation;
  $("review-title").textContent = currentItem.title || "(no title)";
  $("review-origin").textContent = currentItem.origin;
  $("review-uncertainty").textContent = currentItem.uncertainty.toFixed(2);
  fillScores($("review-fields").querySelector("tbody"), explanation, ticked);
  fillText($("review-text"), "", currentItem.text, explanation);
  $("review-abstained").hidden = !explanation.flag;
  $("review-abstained").textContent = explanation.flag
    ? `The model gives no field: ${ABSTAINED[explanation.flag] || explanation.flag}. Tick the fields yourself, or skip.`
    : "";
  nameSaveButton();
}

// The last saved document back in the form, ticked as it was saved; saving it again replaces its fields.
function correctLast() {
  correcting = true;
  $("review-item").hidden = false;
  showItem(lastSaved.item, lastSaved.labels);
  $("correct-button").hidden = true;
  $("skip-button").textContent = "Cancel";
  setStatus("review-status", `correcting: ${lastSaved.item.id}`);
  focusFirstField();  // the button pressed is hidden: keyboard users go on from the document's first field
}
$("correct-button").addEventListener("click", correctLast);

function tickedLabels() {
  return [...document.querySelectorAll("#review-fields input[name=labels]:checked")].map((box) => box.value);
}

// Accept when the ticks are the model's, save an edit otherwise: the editor sees which one a click does.
function nameSaveButton() {
  const ticked = tickedLabels();
  const same = ticked.length === currentItem.suggested.length && ticked.every((label) => currentItem.suggested.includes(label));
  const accept = currentItem.suggested.length ? "Accept the model's fields" : "Save my fields";
  $("save-button").textContent = correcting ? "Save the correction" : same ? accept : "Save my edit";
}

// Ticks changed and not saved: leaving or reloading the page asks first.
function unsaved() {
  if (!currentItem || $("review-view").hidden) return false;
  const ticked = tickedLabels();
  const shown = correcting && lastSaved ? lastSaved.labels : currentItem.suggested;
  return ticked.length !== shown.length || !ticked.every((label) => shown.includes(label));
}
window.addEventListener("beforeunload", (event) => { if (unsaved()) event.preventDefault(); });

$("review-fields").addEventListener("change", () => { if (currentItem) nameSaveButton(); });

// The buttons wait for the answer and the next document: a click meanwhile would act on what is being replaced.
// The decision is said to be saved only once the server wrote it, whatever happens to the next document's loading.
async function decide(decision) {
  $("save-button").disabled = $("skip-button").disabled = $("correct-button").disabled = true;
  const item = currentItem;
  let answer;
  try {
    answer = await api("v1/queue/decisions", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: item.id, digest: item.digest, project: projectId(), ...decision }),
    });
  } catch (error) {
    enableDecisions();
    if (error.status === 412 || error.status === 404) staleDocument(item, error);
    else if (error.status === 409 && error.message.includes("is already labelled")) labelledMeanwhile(item, decision);
    else setStatus("review-status", error.message, "error");  // a 409 of the lock: nothing was saved
    return;
  }
  if (answer.saved) remember({ item, labels: decision.labels });
  const done = answer.saved ? (decision.correct ? `corrected: ${answer.id}` : `saved: ${answer.id}`) : `skipped: ${answer.id}`;
  let stale = false, loaded = false;
  try {
    await loadQueue();
    loaded = true;
    setStatus("review-status", done, answer.saved ? "saved" : "");
  } catch (error) {
    stale = answer.saved;  // the form still shows the document just saved: saving it again would be refused
    $("correct-button").hidden = !correctable();
    setStatus("review-status", `${done}; the next document could not be loaded (${error.message})`, "error");
  } finally {
    enableDecisions();
    if (stale) $("save-button").disabled = true;
  }
  if (loaded) focusNextStep();  // once the buttons are enabled again: a disabled button takes no focus
}

function enableDecisions() {
  $("save-button").disabled = $("skip-button").disabled = $("correct-button").disabled = false;
}

// Keyboard users go on from the next document's first field, not from the top of the page.
function focusFirstField() {
  const first = document.querySelector("#review-fields input[name=labels]");
  if (first && !$("review-item").hidden) first.focus();
}

// With nothing left to review, from the one thing left to do: change the last decision.
function focusNextStep() {
  if (!$("review-item").hidden) focusFirstField();
  else if (!$("correct-button").hidden) $("correct-button").focus();
}

// Another window or editor labelled the document first: skipping moves on, saving replaces their fields.
// The server reads another text under the document's id (started again with other inputs), or queues no document of
// that id (412, 404: started again with other inputs or another queue size): nothing was saved, and the queue is
// shown afresh; the last decision kept for "Change the last decision" is of a document no longer there.
function staleDocument(item, error) {
  correcting = false;
  if (lastSaved && lastSaved.item.id === item.id) remember(null);
  loadQueue().then(() => setStatus("review-status", error.message, "error"))
    .catch((failed) => setStatus("review-status", failed.message, "error"));
}

function labelledMeanwhile(item, decision) {
  if (decision.skip) {
    loadQueue().then(() => {
      setStatus("review-status", `${item.id} was labelled meanwhile (in another window): moved on`);
      focusNextStep();
    }).catch((error) => setStatus("review-status", error.message, "error"));
    return;
  }
  correcting = true;
  $("skip-button").textContent = "Cancel";
  nameSaveButton();
  setStatus("review-status", "this document was labelled meanwhile (in another window): press “Save the correction” "
    + "to replace those fields with yours, or Cancel to leave them", "error");
}

$("review-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const labels = tickedLabels();
  if (!labels.length) { setStatus("review-status", "tick at least one field, or skip", "error"); return; }
  decide(correcting ? { labels, correct: true } : { labels });
});
// The model whose answer is on screen: going back to it when the editor keeps unsaved ticks.
let shownProject = null;
$("project").addEventListener("change", () => {
  if (unsaved() && !confirm("Your ticks on this document are not saved. Show another model's fields instead?")) {
    $("project").value = shownProject;
    return;
  }
  shownProject = projectId();
  if (!$("review-view").hidden) {
    loadQueue().catch((error) => setStatus("review-status", error.message, "error"));
  } else if (lastAsked && !$("result").hidden) {
    explain(lastAsked.options, lastAsked.label);
  }
});
$("skip-button").addEventListener("click", () => {
  if (!correcting) { decide({ skip: true }); return; }
  setStatus("review-status", "");
  loadQueue().then(() => { if ($("review-item").hidden) focusNextStep(); })  // the Cancel button went with the form
    .catch((error) => setStatus("review-status", error.message, "error"));
});

// ---- tabs and start ----

function route() {
  const review = location.hash === "#review" && !$("tab-review").hidden;
  $("suggest-view").hidden = review;
  $("review-view").hidden = !review;
  $("tab-suggest").classList.toggle("active", !review);
  $("tab-review").classList.toggle("active", review);
  if (!review) return Promise.resolve();
  return loadQueue().catch((error) => setStatus("review-status", error.message, "error"));
}

async function start() {
  const { projects } = await api("v1/projects");
  for (const p of projects) $("project").append(el("option", { value: p.project_id, text: p.project_id }));
  shownProject = projectId();
  const ready = await api("v1/ready");
  $("tab-review").hidden = !ready.queue;
  window.addEventListener("hashchange", route);
  await route(); // ready once the queue's first document is shown (or why it is not): nothing replaces it after
  document.body.dataset.ready = "true";
}

start().catch((error) => setStatus("suggest-status", error.message, "error"));
