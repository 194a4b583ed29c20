// netad dashboard: fetches the payloads of netad/dashboard/data.py and draws them with Plotly.
// The figures are built in Python; this script only fills tables and moves the threshold: metrics at the
// slider's threshold are counted from the job's score sample (score > threshold = flagged, exactly as
// netad.metrics.binary_metrics does), then the figures' threshold line and markers are moved.
"use strict";

// The mode bar shows on hover, above the figures' titles (netad.viz.style.TITLE_TOP), with only the buttons
// that do something on these figures (netad.viz.style.MODEBAR_REMOVE).
const PLOT_CONFIG = {
  responsive: true, displaylogo: false, displayModeBar: "hover",
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian"],
};
const state = { index: null, job: null, candidates: [], byClass: null, byCategory: null, threshold: null, pending: null };

const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

async function getJSON(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function fmt(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "n/a";
  return Number(value).toFixed(digits);
}
function fmtStd(mean, std) {
  if (mean === null || mean === undefined) return "n/a";
  // one seed: no spread was measured (std is null), so say n=1 instead of "± 0.000"
  return std === null || std === undefined || Number.isNaN(std) ? `${fmt(mean, 3)} (n=1)` : `${fmt(mean, 3)} ± ${fmt(std, 3)}`;
}
const fmtInt = (value) => Number(value).toLocaleString("en-US");
// the threshold box: 6 significant digits (the exact value is state.threshold and #metric-threshold's data-value)
const fmtInput = (value) => String(Number(value.toPrecision(6)));
const fmtScore = (value) => (Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(5) : value.toPrecision(6));

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function plot(id, figure) {
  return Plotly.react($(id), figure.data, figure.layout, PLOT_CONFIG);
}

// ---------- runs and leaderboard ----------

function renderRuns() {
  const list = $("runs");
  list.replaceChildren();
  for (const run of state.index.runs) {
    const item = document.createElement("li");
    const withScores = run.jobs.filter((j) => j.has_scores).length;
    item.textContent = `${run.name} — ${run.path} · protocol ${run.protocol || "?"} · ${run.jobs.length} jobs (${withScores} with scores)` +
      (run.started_utc ? ` · started ${run.started_utc.slice(0, 19)} UTC` : "") +
      (run.n_explanations ? ` · ${run.n_explanations} SHAP output(s)` : "");
    if (run.oracle_thresholds_used) {
      const warn = document.createElement("span");
      warn.className = "warn";
      warn.textContent = " · oracle thresholds (chosen on test labels) used";
      item.appendChild(warn);
    }
    if (run.errors.length) {
      const warn = document.createElement("span");
      warn.className = "warn";
      warn.textContent = ` · ${run.errors.length} failed job(s): ${run.errors.map((e) => e.job).join(", ")}`;
      item.appendChild(warn);
    }
    list.appendChild(item);
  }
}

const LEADERBOARD_COLUMNS = [
  { key: "run_name", label: "run", text: true, severalRunsOnly: true },
  { key: "dataset", label: "dataset", text: true },
  { key: "protocol", label: "protocol", text: true },
  { key: "model", label: "detector", text: true },
  { key: "threshold_strategy", label: "threshold", text: true },
  { key: "n_seeds", label: "seeds" },
  { key: "f1", label: "F1", metric: true },
  { key: "precision", label: "precision", metric: true },
  { key: "recall", label: "recall", metric: true },
  { key: "auroc", label: "AUROC", metric: true },
  { key: "auprc", label: "AUPRC", metric: true },
  { key: "fit_seconds", label: "fit s", metric: true, digits: 2 },
];
const board = { sortKey: null, ascending: false };

function boardValue(row, column) {
  if (column.key === "model") return row.detector + (row.variant ? `[${row.variant}]` : "");
  return column.metric ? row[`${column.key}_mean`] : row[column.key];
}

function renderLeaderboard() {
  const severalRuns = state.index.runs.length > 1;
  const columns = LEADERBOARD_COLUMNS.filter((c) => severalRuns || !c.severalRunsOnly);
  const head = $("leaderboard").tHead;
  head.replaceChildren();
  const headRow = head.insertRow();
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column.label + (board.sortKey === column.key ? (board.ascending ? " ▲" : " ▼") : "");
    th.className = column.text ? "text" : "";
    th.dataset.key = column.key;
    th.addEventListener("click", () => {
      board.ascending = board.sortKey === column.key ? !board.ascending : Boolean(column.text);
      board.sortKey = column.key;
      renderLeaderboard();
    });
    headRow.appendChild(th);
  }
  let rows = state.index.leaderboard.slice();
  if (board.sortKey) {
    const column = columns.find((c) => c.key === board.sortKey);
    rows.sort((a, b) => {
      const x = boardValue(a, column), y = boardValue(b, column);
      const order = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
      return board.ascending ? order : -order;
    });
  }
  const body = $("leaderboard").tBodies[0];
  body.replaceChildren();
  for (const row of rows) {
    const tr = body.insertRow();
    tr.dataset.run = row.run;
    for (const column of columns) {
      const value = boardValue(row, column);
      let text;
      if (column.metric && column.digits) text = value === null ? "n/a" : fmt(value, column.digits);
      else if (column.metric) text = fmtStd(value, row[`${column.key}_std`]);
      else if (column.key === "threshold_strategy" && value === "oracle") text = "oracle (test labels)";
      else text = value === null || value === undefined ? "" : String(value);
      cell(tr, text, column.text ? "text" : "");
    }
    tr.addEventListener("click", () => {
      const run = state.index.runs[row.run];
      const job = run.jobs.find((j) => j.has_scores && j.dataset === row.dataset && j.protocol === row.protocol &&
        j.detector === row.detector && (j.variant || "") === (row.variant || ""));
      if (!job) { setStatus(`no saved scores for ${row.detector} on ${row.dataset}`, true); return; }
      for (const other of body.rows) other.classList.remove("selected");
      tr.classList.add("selected");
      $("job").value = `${row.run}|${job.key}`;
      selectJob(row.run, job.key);
      $("job-section").scrollIntoView({ behavior: "smooth" });
    });
  }
}

function fillJobSelect() {
  const select = $("job");
  select.replaceChildren();
  for (const run of state.index.runs) {
    const group = document.createElement("optgroup");
    group.label = run.name;
    for (const job of run.jobs) {
      const option = document.createElement("option");
      option.value = `${run.id}|${job.key}`;
      option.textContent = `${job.dataset} · ${job.protocol} · ${job.detector}${job.variant ? `[${job.variant}]` : ""} · seed ${job.seed}` +
        (job.has_scores ? "" : " (no saved scores)");
      option.disabled = !job.has_scores;
      group.appendChild(option);
    }
    select.appendChild(group);
  }
  select.addEventListener("change", () => {
    const [run, key] = select.value.split("|");
    selectJob(Number(run), key);
  });
}

// ---------- one job ----------

function upperBound(sorted, threshold) {
  // first index whose value is > threshold (sorted ascending)
  let low = 0, high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] > threshold) high = mid; else low = mid + 1;
  }
  return low;
}
const countAbove = (sorted, threshold) => sorted.length - upperBound(sorted, threshold);

async function selectJob(run, key) {
  setStatus(`loading ${key} …`);
  document.body.dataset.jobReady = "";
  let job;
  try {
    job = await getJSON(`api/job?run=${run}&key=${encodeURIComponent(key)}`);
  } catch (error) {
    setStatus(`could not load ${key}: ${error.message}`, true);
    return;
  }
  state.job = job;
  const sample = job.sample;
  const normal = [], attack = [];
  const byCategory = sample.categories.map(() => []);
  sample.scores.forEach((score, i) => {
    (sample.labels[i] === 1 ? attack : normal).push(score);
    byCategory[sample.category_codes[i]].push(score);
  });
  state.byClass = { normal, attack };
  state.byCategory = byCategory;
  // slider stops: every distinct sampled score (each changes the flagged set) and the run's own thresholds
  const stops = new Set(sample.scores);
  for (const t of job.thresholds) if (t.threshold !== null) stops.add(t.threshold);
  state.candidates = Array.from(stops).sort((a, b) => a - b);

  $("job").value = `${run}|${key}`;
  const slider = $("threshold-slider");
  slider.max = String(state.candidates.length - 1);
  $("sample-note").textContent = `Live numbers: score sample of this job (${sample.method}); ` +
    `flagged = score > threshold. Histogram and curves: all ${fmtInt(job.n_test)} test rows ` +
    `(${fmtInt(job.n_attack)} attack, ${fmtInt(job.n_normal)} normal).`;
  const buttons = $("strategy-buttons");
  buttons.replaceChildren();
  for (const t of job.thresholds) {
    if (t.threshold === null) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t.threshold_strategy === "oracle" ? "oracle (test labels)" : t.threshold_strategy;
    button.title = `the run's ${t.threshold_strategy} threshold, chosen on ${t.threshold_source}: ${t.threshold}`;
    button.dataset.strategy = t.threshold_strategy;
    button.addEventListener("click", () => setThreshold(t.threshold));
    buttons.appendChild(button);
  }
  const reference = job.thresholds[0];
  $("full-test-note").textContent = reference
    ? `All test rows at the run's ${reference.threshold_strategy} threshold (${reference.threshold_source}) = ` +
      `${fmtScore(reference.threshold)}: precision ${fmt(reference.precision)}, recall ${fmt(reference.recall)}, ` +
      `F1 ${fmt(reference.f1)}, AUROC ${fmt(reference.auroc)}, AUPRC ${fmt(reference.auprc)} (results.csv).`
    : "This job has no results.csv row.";

  await Promise.all([
    plot("histogram-plot", job.figures.histogram),
    plot("roc-plot", job.figures.roc),
    plot("pr-plot", job.figures.pr),
    plot("categories-plot", job.figures.categories),
  ]);
  if (job.figures.shap) {
    await plot("shap-plot", job.figures.shap);
    const shap = job.shap;
    $("shap-note").textContent = `netad explain output ${shap.path}: ${shap.method} SHAP over ${shap.n_alerts} top alerts` +
      ` (${shap.threshold_strategy} threshold), seed ${shap.seed}` + (shap.same_seed ? "." : " — another seed than this job's.");
  } else {
    Plotly.purge($("shap-plot"));
    $("shap-plot").replaceChildren();
    $("shap-note").textContent = `No SHAP explanation for ${job.detector} on ${job.dataset} in this run directory ` +
      `(run \`netad explain --dataset ${job.dataset} --detector ${job.detector} --out RUN_DIR/explain-${job.detector}\`).`;
  }
  setThreshold(reference && reference.threshold !== null ? reference.threshold : state.candidates[Math.floor(state.candidates.length / 2)]);
  setStatus(`${job.dataset} · ${job.detector}${job.variant ? `[${job.variant}]` : ""} · seed ${job.seed}`);
  document.body.dataset.jobReady = key;
}

function metricsAt(threshold) {
  const { normal, attack } = state.byClass;
  const tp = countAbove(attack, threshold), fp = countAbove(normal, threshold);
  const fn = attack.length - tp, tn = normal.length - fp;
  // the same formulas as netad.metrics / scikit-learn (fbeta: (1 + b^2) tp / (b^2 (tp + fn) + tp + fp), 0 if empty)
  const fbeta = (b2) => (b2 * (tp + fn) + tp + fp ? ((1 + b2) * tp) / (b2 * (tp + fn) + tp + fp) : 0);
  return {
    threshold, tp, fp, tn, fn,
    precision: tp + fp ? tp / (tp + fp) : 0,
    recall: tp + fn ? tp / (tp + fn) : 0,
    f1: fbeta(1), f2: fbeta(4),
    accuracy: (tp + tn) / (tp + fp + tn + fn),
    fpr: fp + tn ? fp / (fp + tn) : 0,
  };
}

function show(id, value, text) {
  const element = $(id);
  element.textContent = text;
  element.dataset.value = String(value);
}

function setThreshold(threshold) {
  state.threshold = threshold;
  const index = Math.max(0, upperBound(state.candidates, threshold) - 1);  // largest stop <= threshold
  $("threshold-slider").value = String(index);
  $("threshold-input").value = fmtInput(threshold);
  const m = metricsAt(threshold);
  const n = m.tp + m.fp + m.tn + m.fn;
  show("metric-threshold", threshold, fmtScore(threshold));
  show("metric-flagged", m.tp + m.fp, `${fmtInt(m.tp + m.fp)} / ${fmtInt(n)}`);
  for (const name of ["precision", "recall", "f1", "f2", "accuracy", "fpr"]) show(`metric-${name}`, m[name], fmt(m[name]));
  for (const name of ["tp", "fp", "tn", "fn"]) show(`cm-${name}`, m[name], fmtInt(m[name]));
  for (const button of $("strategy-buttons").children) {
    const t = state.job.thresholds.find((x) => x.threshold_strategy === button.dataset.strategy);
    button.classList.toggle("active", Boolean(t) && t.threshold === threshold);
  }
  if (!state.pending) state.pending = requestAnimationFrame(() => { state.pending = null; moveFigures(); });
}

function moveFigures() {
  const job = state.job, threshold = state.threshold;
  const m = metricsAt(threshold);
  const logX = job.figures.histogram.layout.meta && job.figures.histogram.layout.meta.log_x;
  if (!logX || threshold > 0) {
    const x = logX ? Math.log10(threshold) : threshold;
    Plotly.relayout($("histogram-plot"), { "shapes[0].x0": x, "shapes[0].x1": x, "shapes[0].visible": true });
  } else {
    Plotly.relayout($("histogram-plot"), { "shapes[0].visible": false });
  }
  const last = (id) => $(id).data.length - 1;
  Plotly.restyle($("roc-plot"), { x: [[m.fpr]], y: [[m.recall]] }, [last("roc-plot")]);
  Plotly.restyle($("pr-plot"), { x: [[m.recall]], y: [[m.precision]] }, [last("pr-plot")]);
  // one bar per group of categories (figures.category_groups): its sampled rows flagged at the threshold
  const rates = [], counts = [];
  for (const names of job.figures.categories.layout.meta.groups) {
    let rows = 0, flagged = 0;
    for (const name of names) {
      const code = job.sample.categories.indexOf(name);
      if (code < 0) continue;
      rows += state.byCategory[code].length;
      flagged += countAbove(state.byCategory[code], threshold);
    }
    rates.push(rows ? flagged / rows : null);
    counts.push(rows);
  }
  Plotly.restyle($("categories-plot"), { x: [rates], customdata: [counts] }, [0]);
  document.body.dataset.threshold = String(threshold);
}

function wireThresholdInputs() {
  $("threshold-slider").addEventListener("input", (event) => {
    setThreshold(state.candidates[Number(event.target.value)]);
  });
  $("threshold-input").addEventListener("change", (event) => {
    const value = Number.parseFloat(event.target.value);
    if (Number.isFinite(value)) setThreshold(value);
  });
}

async function main() {
  wireThresholdInputs();
  try {
    state.index = await getJSON("api/index");
  } catch (error) {
    setStatus(`could not load the runs: ${error.message}`, true);
    return;
  }
  renderRuns();
  await plot("leaderboard-plot", state.index.figures.leaderboard);
  renderLeaderboard();
  fillJobSelect();
  const first = state.index.runs.flatMap((run) => run.jobs.filter((j) => j.has_scores).map((j) => [run.id, j.key]))[0];
  if (first) await selectJob(first[0], first[1]);
  else setStatus("no job of these runs saved its scores: the per-job views need scores/*.parquet", true);
  document.body.dataset.ready = "1";
}

main();
