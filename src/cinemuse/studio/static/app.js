// cinemuse studio: the page. Plain JavaScript over the studio's own HTTP API (/api), nothing else.
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") Object.assign(node.style, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) node.append(c);
  return node;
};

const VERB = { score: "Score", slideshow: "Make the film", compose: "Compose", cover: "Draw covers", analyze: "Analyse",
               colorize: "Colourise", restore: "Restore" };
const TAB = { score: "Score", slideshow: "Slideshow", compose: "Compose", cover: "Cover", analyze: "Analyse",
              colorize: "Colourise", restore: "Restore" };
const ACCEPT = { video: "video/*,.mkv,.mts,.m2ts", audio: "audio/*,.flac,.m4a,.opus", image: "image/*",
                 visual: "image/*,video/*", photos: "image/*,audio/*,.flac,.m4a,.opus" };
const DROP_TEXT = { video: "a video", audio: "a song", image: "a photo", visual: "a photo or a film", photos: "photos" };
const EXTRA_TEXT = { visual: " (more photos after it are colour references)", photos: " (add a song to cut to its beat; without one, music is composed)" };
const IS_AUDIO = /\.(wav|flac|mp3|m4a|aac|ogg|opus|aiff?)$/i;
// the editor hand-off files, by the end of their names: what each is for
const EDITOR_FILES = [["_timeline.xml", "Premiere Pro · Resolve (.xml)"], ["_timeline.fcpxml", "Final Cut Pro (.fcpxml)"],
  ["_timeline.otio", "OpenTimelineIO (.otio)"], ["_timeline.edl", "EDL, picture + markers (.edl)"],
  ["_resolve_markers.edl", "Resolve markers (.edl)"], ["_markers.csv", "Markers (.csv)"]];
const MOODS = ["happy", "sad", "calm", "tense", "epic", "dreamy", "dark", "playful", "neutral"];
const TERMINAL = ["done", "failed", "cancelled"];
// what a field is called on the page (the option's own name otherwise), with its unit
const LABELS = { duck: "duck under the sound (dB)", intensity: "intensity (0 calm – 2 driving)", tempo: "tempo (bpm)",
  "replace-audio": "replace the original sound", duration: "length (seconds)", "style-strength": "style strength (0–1)",
  "music-style": "music style", style: "style", stems: "stems (one WAV per instrument)", "text-color": "text colour",
  "work-size": "work size (pixels)", "key-interval": "key frame every N frames", variants: "variants" };
const HIDDEN = new Set(["preview-styles"]);
const MOOD_HINT = { score: "from the picture", slideshow: "from the photos", compose: "neutral" };

const state = { kinds: {}, kind: null, files: [], current: null, jobs: new Map(), names: new Map(),
                previews: new Map(), sources: new Map() };

// ------------------------------------------------------------------ the API
async function api(path, options = {}) {
  const r = await fetch(path, { credentials: "same-origin", ...options });
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : {};
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

function upload(form, onProgress) {  // XMLHttpRequest: fetch cannot report upload progress
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/jobs");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status === 201 ? resolve(xhr.response)
      : reject(new Error(xhr.response?.error || `${xhr.status} ${xhr.statusText}`)));
    xhr.onerror = () => reject(new Error("the studio is not answering (was it stopped?)"));
    xhr.send(form);
  });
}

// ------------------------------------------------------------------ tabs and the form
function selectKind(name, focus = false) {
  const kind = state.kinds[name];
  if (!kind) return;
  const keep = state.kind && state.kinds[state.kind].inputs === kind.inputs;
  state.kind = name;
  if (!keep) setFiles([]);
  for (const b of $("tabs").children) {
    const on = b.dataset.kind === name;
    b.setAttribute("aria-selected", on);
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  $("job-title").textContent = kind.title;
  $("job-summary").textContent = kind.summary;
  $("run").textContent = VERB[name] || kind.title;
  $("preview").hidden = name !== "slideshow";
  const drop = $("drop");
  drop.classList.toggle("disabled", !kind.inputs);
  if (kind.inputs) {
    $("file").accept = ACCEPT[kind.inputs];
    $("file").multiple = kind.references;
    $("drop-hint").innerHTML = "";
    $("drop-hint").append(el("strong", {}, `Drop ${DROP_TEXT[kind.inputs]} here`),
      kind.references ? EXTRA_TEXT[kind.inputs] || "" : "",
      el("br"), "or press Enter to choose");
  }
  buildOptions(kind);
  hideError();
  if (history.replaceState) history.replaceState(null, "", `#${name}`);
}

function buildOptions(kind) {
  const box = $("options");
  box.replaceChildren(el("legend", {}, kind.options.length ? "Options" : "No options: just drop a file"));
  for (const o of kind.options) {
    if (HIDDEN.has(o.name)) continue;  // set by a button of its own
    const id = `opt-${o.name}`;
    const label = LABELS[o.name] || o.name.replace(/-/g, " ");
    let input;
    if (o.type === "bool") {
      input = el("input", { type: "checkbox", id, name: o.name, checked: !!o.default });
      box.append(el("div", { class: "field check", title: o.help }, input, el("label", { for: id }, label)));
      continue;
    }
    if (o.choices) {
      input = el("select", { id, name: o.name },
        o.default ? null : el("option", { value: "" }, "auto"),
        o.choices.filter((c) => c !== "color").map((c) => el("option", { value: c, selected: c === o.default }, c)));
    } else if (o.type === "int" || o.type === "float") {
      input = el("input", { type: "number", id, name: o.name, min: o.min, max: o.max,
        step: o.type === "int" ? 1 : "any", value: o.default ?? "", placeholder: o.default == null ? "auto" : "" });
    } else {
      input = el("input", { type: "text", id, name: o.name, placeholder: o.name === "mood" ? MOOD_HINT[kind.name] || "" : "",
        list: o.name === "mood" ? "moods" : null, autocomplete: "off" });
    }
    box.append(el("div", { class: "field", title: o.help }, el("label", { for: id }, label), input));
  }
  if (!$("moods")) document.body.append(el("datalist", { id: "moods" }, MOODS.map((m) => el("option", { value: m }))));
}

function collectOptions() {
  const out = {};
  for (const o of state.kinds[state.kind].options) {
    const input = $(`opt-${o.name}`);
    if (!input) continue;
    if (o.type === "bool") out[o.name] = input.checked;
    else if (input.value.trim() !== "") out[o.name] = (o.type === "int" || o.type === "float") ? Number(input.value) : input.value.trim();
  }
  return out;
}

function setFiles(files) {
  state.files = Array.from(files);
  const names = state.files.map((f) => f.name);
  const songs = names.filter((n) => IS_AUDIO.test(n)), photos = names.length - songs.length;
  $("drop-name").textContent = names.length > 4 && state.kind === "slideshow"
    ? [`${photos} photos`, ...songs].join(" + ") : names.join(", ");
  hideError();
}

function showError(message) { const e = $("error"); e.textContent = message; e.hidden = false; }
function hideError() { $("error").hidden = true; }

async function submit(event, extra = {}) {
  event?.preventDefault();
  const kind = state.kinds[state.kind];
  if (kind.inputs && !state.files.length) { showError(`cinemuse ${kind.name}: drop ${DROP_TEXT[kind.inputs]} first`); $("drop").focus(); return; }
  hideError();
  const form = new FormData();
  form.append("kind", kind.name);
  form.append("options", JSON.stringify({ ...collectOptions(), ...extra }));
  for (const f of state.files) form.append("files", f, f.name);
  $("run").disabled = true;
  try {
    const job = await upload(form, (p) => { $("upload-state").textContent = p < 1 ? `uploading ${Math.round(p * 100)} %` : "checking the file…"; });
    state.names.set(job.id, state.files.map((f) => f.name).join(", ") || kind.title);
    if (state.files[0]) state.sources.set(job.id, state.files[0]);
    state.current = job.id;
    onJob(job);
    watch(job.id);
  } catch (err) {
    showError(`cinemuse ${kind.name}: ${err.message}`);
  } finally {
    $("run").disabled = false;
    $("upload-state").textContent = "";
  }
}

// ------------------------------------------------------------------ jobs
function watch(id) {
  const source = new EventSource(`/api/jobs/${id}/events`);
  source.addEventListener("job", (e) => {
    const job = JSON.parse(e.data);
    onJob(job);
    if (TERMINAL.includes(job.state)) source.close();
  });
  source.onerror = () => { source.close(); setTimeout(() => poll(id), 1000); };
}

async function poll(id) {
  try {
    const job = await api(`/api/jobs/${id}`);
    onJob(job);
    if (!TERMINAL.includes(job.state)) watch(id);
  } catch (err) { /* the studio stopped: nothing to follow */ }
}

function onJob(job) {
  const before = state.jobs.get(job.id);
  state.jobs.set(job.id, job);
  renderJobs();
  if (job.id !== state.current) return;
  renderProgress(job);
  if (job.state === "done" && before?.state !== "done") renderResult(job);
  if (job.state === "done" && !before) renderResult(job);
}

function stateText(job) {
  if (job.state === "queued") return job.position > 1 ? `queued, ${job.position - 1} ahead` : "queued, next";
  if (job.state === "running") return `${job.stage || "starting"} · ${Math.round(job.progress * 100)} %`;
  return job.state;
}

function renderProgress(job) {
  const box = $("progress");
  const active = !TERMINAL.includes(job.state);
  box.hidden = !active;
  if (active) {
    $("progress-fill").style.width = `${Math.round(job.progress * 100)}%`;
    $("progress-text").textContent = `${TAB[job.kind]}: ${stateText(job)}`;
    $("result-body").replaceChildren();
  } else if (job.state === "failed") {
    $("result-body").replaceChildren(el("p", { class: "error" }, `cinemuse ${job.kind}: ${job.error}`));
  } else if (job.state === "cancelled") {
    $("result-body").replaceChildren(el("p", { class: "muted" }, "Cancelled. Nothing was kept."));
  }
}

function jobName(job) {  // what the user dropped; for a job from another page, its main result
  return state.names.get(job.id) || job.results?.[0]?.name || (TERMINAL.includes(job.state) ? "an earlier job" : "a job");
}

function renderJobs() {
  const list = $("jobs");
  list.replaceChildren(...[...state.jobs.values()].sort((a, b) => b.created - a.created).map((job) => {
    const active = !TERMINAL.includes(job.state);
    const li = el("li", { tabindex: 0, class: job.id === state.current ? "current" : "",
      "aria-label": `${TAB[job.kind]} ${jobName(job)}: ${stateText(job)}`,
      onclick: () => showJob(job.id), onkeydown: (e) => { if (e.key === "Enter") showJob(job.id); } },
      el("span", {}, `${TAB[job.kind]} · ${jobName(job)}`),
      active ? el("button", { class: "ghost", type: "button", "aria-label": "Cancel this job",
        onclick: (e) => { e.stopPropagation(); cancel(job.id); } }, "Cancel")
        : el("span", { class: `state ${job.state}` }, job.state),
      active ? el("span", { class: "state" }, stateText(job)) : null,
      job.state === "failed" ? el("span", { class: "err" }, job.error) : null);
    return li;
  }));
}

function showJob(id) {
  state.current = id;
  const job = state.jobs.get(id);
  renderJobs();
  renderProgress(job);
  if (job.state === "done") renderResult(job);
}

async function cancel(id) {
  try { onJob(await api(`/api/jobs/${id}`, { method: "DELETE" })); } catch (err) { showError(err.message); }
}

// ------------------------------------------------------------------ results
const put = (node, ...kids) => node.append(...kids.flat().filter((k) => k != null));  // skips what is absent
const fmtTime = (s) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
const fmtSize = (n) => (n > 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`);

function link(f, label = f.name) {
  return el("a", { href: `${f.url}?download=1`, download: f.name.replace(/\//g, "_"), title: f.name },
    label, el("small", {}, fmtSize(f.size)));
}

function downloads(job, filter = () => true) {
  const files = job.results.filter(filter);
  const editor = EDITOR_FILES.map(([end, label]) => [files.find((f) => f.name.endsWith(end)), label]).filter(([f]) => f);
  const rest = files.filter((f) => !editor.some(([e]) => e === f));
  const box = el("div", { class: "downloads", "aria-label": "Downloads" }, rest.map((f) => link(f)));
  if (!editor.length) return box;
  return el("div", {}, box, el("h3", { class: "sub" }, "For your editor"),
    el("div", { class: "downloads", "aria-label": "Editor timelines and markers" }, editor.map(([f, label]) => link(f, label))),
    el("p", { class: "muted small" }, "The timelines name these files: save them in one folder, and when your editor asks, relink to it"
      + (job.kind === "score" ? " (the picture track is your original video)." : ".")));
}

function stats(pairs) {
  return el("div", { class: "stats" }, pairs.filter(([, v]) => v != null && v !== "")
    .map(([k, v]) => el("span", {}, `${k} `, el("b", {}, String(v)))));
}

function renderResult(job) {
  const body = $("result-body");
  body.replaceChildren();
  const render = { score: resultScore, slideshow: job.summary?.styles ? resultStyles : resultSlideshow, compose: resultCompose, cover: resultCover, analyze: resultAnalyze,
                   colorize: resultPicture, restore: resultPicture }[job.kind];
  render(job, body);
}

function resultScore(job, body) {
  const s = job.summary, cues = s.cues;
  const video = el("video", { id: "result-video", controls: true, preload: "auto", playsinline: true, src: job.results[0].url });
  put(body, video,
    timeline(video, cues.duration, cues),
    stats([["length", fmtTime(s.duration)], ["tempo", `${s.tempo.toFixed(0)} bpm`], ["key", s.key],
           ["cuts", s.cuts], ["hits", s.hits], ["sections", s.sections]]),
    el("p", { class: "muted" }, "Change the options on the left and press Score again for another take, or:"),
    el("button", { class: "ghost", type: "button", onclick: () => { const seed = $("opt-seed"); seed.value = Number(seed.value || 0) + 1; submit(); } }, "Try another seed"),
    downloads(job));
}

function resultStyles(job, body) {  // every style on the first photo: pick one for the film
  const s = job.summary, current = $("opt-style");
  const file = (name) => job.results.find((f) => f.name === s.files[name]) || job.results.find((f) => f.name.endsWith(`_${name === "photo" ? "photo" : "style-" + name}.jpg`));
  const info = Object.fromEntries(s.styles.map((x) => [x.name, x]));
  const choose = (name, button) => {
    if (current && state.kind === "slideshow") current.value = name === "photo" ? "none" : name;
    for (const b of grid.children) b.setAttribute("aria-pressed", b === button);
  };
  const grid = el("div", { class: "grid styles", role: "group", "aria-label": "Styles on your photo" },
    ["photo", ...s.styles.map((x) => x.name)].map((name) => {
      const f = file(name);
      const title = name === "photo" ? "no style (the photo)" : `${name}: ${info[name].title}, ${info[name].artist} (${info[name].year})`;
      const b = el("button", { type: "button", "aria-pressed": (current?.value || "none") === (name === "photo" ? "none" : name), title },
        el("img", { src: f?.url, alt: title, loading: "lazy" }), el("span", {}, name === "photo" ? "none" : name));
      b.addEventListener("click", () => choose(name, b));
      return b;
    }));
  put(body, el("p", { class: "muted" }, "Your first photo in every style (with the look applied). Pick one, then press Make the film."),
    grid, downloads(job));
}

function resultSlideshow(job, body) {
  const s = job.summary, cues = s.cues || {};
  const film = job.results.find((f) => f.name.endsWith("_slideshow.mp4")) || job.results[0];
  const video = el("video", { id: "result-video", controls: true, preload: "auto", playsinline: true, src: film.url });
  const cuts = s.slides.slice(1).map((x) => ({ time: x.start }));
  put(body, video,
    timeline(video, s.duration, { sections: cues.sections || [], cuts, hits: cues.hits || [] }),
    stats([["length", fmtTime(s.duration)], ["photos", s.photos], ["tempo", `${s.tempo.toFixed(0)} bpm`],
           ["music", s.music === "song" ? "your song" : "composed"], ["look", s.look], ["style", s.style || "photo"],
           ["size", s.size.join("×")]]),
    s.skipped.length ? el("p", { class: "error" }, `Skipped ${s.skipped.length} unreadable: ${s.skipped.join("; ")}`) : null,
    s.duplicates.length ? el("p", { class: "muted" }, `Left out ${s.duplicates.length} near-duplicate shots.`) : null,
    el("p", { class: "muted" }, "Change the look, style or aspect on the left and press Make the film again, or:"),
    el("button", { class: "ghost", type: "button", onclick: () => { const seed = $("opt-seed"); seed.value = Number(seed.value || 0) + 1; submit(); } }, "Try another seed"),
    downloads(job));
}

function sectionColour(sec, i) {
  const v = sec.valence ?? 0, a = sec.arousal ?? 0, e = sec.energy ?? 0.5;
  const hue = 220 - (v + 1) * 95;                         // sad blue .. happy amber
  return `hsl(${hue} ${55 + a * 25}% ${52 + e * 14 - (i % 2) * 6}%)`;
}

function timeline(media, duration, { sections = [], cuts = [], hits = [], beats = [], downbeats = [] }, wave = null) {
  const box = el("div", { class: "timeline", tabindex: 0, role: "slider", "aria-label": "Timeline: sections, cuts and hits. Arrow keys jump between marks",
    "aria-valuemin": 0, "aria-valuemax": duration.toFixed(2), "aria-valuenow": 0 });
  const pct = (t) => `${(100 * t / duration).toFixed(3)}%`;
  if (wave) box.append(wave);
  sections.forEach((sec, i) => box.append(el("div", { class: "sec", title: `${sec.label || "section"} ${fmtTime(sec.start)}–${fmtTime(sec.end)}`,
    style: { left: pct(sec.start), width: pct(sec.end - sec.start), background: sectionColour(sec, i) } }, sec.label || `${i + 1}`)));
  cuts.forEach((c, i) => box.append(el("div", { class: "cut", title: `cut ${i + 1} at ${fmtTime(c.time)}`, style: { left: pct(c.time) } })));
  hits.forEach((h) => box.append(el("div", { class: `hit${(h.strength ?? 1) < 0.6 ? " small" : ""}`, title: `hit: ${h.kind} at ${fmtTime(h.time)}`, style: { left: pct(h.time) } })));
  downbeats.forEach((t) => box.append(el("div", { class: "hit", title: `bar at ${fmtTime(t)}`, style: { left: pct(t) } })));
  beats.forEach((t) => box.append(el("div", { class: "hit small", title: `beat at ${fmtTime(t)}`, style: { left: pct(t) } })));
  const head = el("div", { class: "head" });
  box.append(head);
  const marks = [0, ...sections.map((s) => s.start), ...cuts.map((c) => c.time), ...hits.map((h) => h.time), ...downbeats].sort((a, b) => a - b);
  const seek = (t) => { media.currentTime = Math.max(0, Math.min(duration, t)); move(); };
  const move = () => { head.style.left = pct(media.currentTime || 0); box.setAttribute("aria-valuenow", (media.currentTime || 0).toFixed(2)); };
  box.addEventListener("click", (e) => { const r = box.getBoundingClientRect(); seek(duration * (e.clientX - r.left) / r.width); });
  box.addEventListener("keydown", (e) => {
    const t = media.currentTime;
    if (e.key === "ArrowRight") seek(marks.find((m) => m > t + 0.01) ?? duration);
    else if (e.key === "ArrowLeft") seek([...marks].reverse().find((m) => m < t - 0.01) ?? 0);
    else if (e.key === "Home") seek(0);
    else if (e.key === "End") seek(duration);
    else if (e.key === " ") { media.paused ? media.play() : media.pause(); }
    else return;
    e.preventDefault();
  });
  media.addEventListener("timeupdate", move);
  const tick = () => { move(); if (!media.paused) requestAnimationFrame(tick); };
  media.addEventListener("play", () => requestAnimationFrame(tick));
  const legend = el("div", { class: "legend" }, sections.length ? el("span", {}, el("i", { class: "l-sec" }), "sections") : null,
    cuts.length ? el("span", {}, el("i", { class: "l-cut" }), "cuts") : null,
    hits.length ? el("span", {}, el("i", { class: "l-hit" }), "musical hits") : null,
    downbeats.length || beats.length ? el("span", {}, el("i", { class: "l-hit" }), "bars and beats") : null);
  return el("div", {}, box, legend);
}

async function waveform(source, width = 1200, height = 62) {
  // drawn from the audio itself, decoded in the page (no server round trip for a local file)
  const canvas = el("canvas", { class: "wave", width, height });
  try {
    const data = source instanceof Blob ? await source.arrayBuffer() : await (await fetch(source)).arrayBuffer();
    const ctx = new OfflineAudioContext(1, 1, 44100);
    const buffer = await ctx.decodeAudioData(data);
    const samples = buffer.getChannelData(0), step = Math.max(1, Math.floor(samples.length / width));
    const g = canvas.getContext("2d");
    g.fillStyle = "#5ec8ff88";
    for (let x = 0; x < width; x++) {
      let peak = 0;
      for (let i = x * step, end = Math.min(samples.length, i + step); i < end; i += 4) peak = Math.max(peak, Math.abs(samples[i]));
      const h = Math.max(1, peak * height);
      g.fillRect(x, (height - h) / 2, 1, h);
    }
  } catch (err) { /* not decodable here: the timeline still shows the marks */ }
  return canvas;
}

async function resultCompose(job, body) {
  const s = job.summary;
  const wav = job.results.find((f) => f.name.endsWith(".wav"));
  const audio = el("audio", { id: "result-audio", controls: true, loop: !!s.loop, src: wav.url });
  const sections = (s.sections || []).map((x) => ({ ...x, energy: 0.5 }));
  put(body, audio, timeline(audio, s.duration, { sections, hits: s.hits || [] }, await waveform(wav.url)),
    stats([["length", fmtTime(s.duration)], ["style", s.style], ["key", s.key], ["tempo", `${Math.round(s.tempo)} bpm`],
           ["loop", s.loop ? "seamless" : "with an ending"]]),
    el("label", {}, el("input", { type: "checkbox", checked: true, onchange: (e) => { audio.loop = e.target.checked; } }), " loop the preview"),
    downloads(job));
}

function resultCover(job, body) {
  const covers = job.results.filter((f) => /\.png$/.test(f.name) && !/-(thumb|vertical)/.test(f.name));
  const big = el("img", { class: "big-cover", alt: "The chosen cover", src: covers[0]?.url });
  const pick = (f, button) => {
    big.src = f.url;
    for (const b of grid.children) b.setAttribute("aria-pressed", b === button);
  };
  const grid = el("div", { class: "grid", role: "group", "aria-label": "Cover variants" },
    covers.map((f, i) => { const b = el("button", { type: "button", "aria-pressed": i === 0, "aria-label": `Variant ${i + 1}` },
      el("img", { src: f.url, alt: "", loading: "lazy" })); b.addEventListener("click", () => pick(f, b)); return b; }));
  const s = job.summary;
  put(body, big, stats([["key", s.key], ["tempo", s.tempo_bpm && `${Math.round(s.tempo_bpm)} bpm`],
    ["mood", s.mood && `valence ${s.mood.valence.toFixed(2)}, arousal ${s.mood.arousal.toFixed(2)}`]]),
    grid, el("p", { class: "muted" }, "Pick one; set a title and artist on the left and draw again to put text on it."), downloads(job));
}

async function resultAnalyze(job, body) {
  const s = job.summary;
  const source = state.sources.get(job.id);
  const audio = el("audio", { controls: true, src: source ? URL.createObjectURL(source) : null });
  const bars = new Set((s.downbeats || []).map((t) => t.toFixed(3)));
  const marks = { sections: (s.sections || []).map((x) => ({ ...x, energy: 0.5 })), downbeats: s.downbeats || [],
                  beats: (s.beats || []).filter((t) => !bars.has(t.toFixed(3))) };
  put(body, source ? audio : null,
    timeline(audio, s.duration, marks, source ? await waveform(source) : null),
    stats([["length", fmtTime(s.duration)],
           ["tempo", s.steady_beat === false ? `no steady beat (a ${s.tempo_bpm.toFixed(1)} bpm grid)` : `${s.tempo_bpm.toFixed(1)} bpm`],
           ["key", s.key],
           ["loudness", `${s.loudness_lufs.toFixed(1)} LUFS`], ["beats", (s.beats || []).length],
           ["mood", `valence ${s.mood.valence.toFixed(2)}, arousal ${s.mood.arousal.toFixed(2)}`]]),
    downloads(job));
}

function resultPicture(job, body) {
  const out = job.results[0];
  if (out.type.startsWith("video/")) {
    put(body, el("video", { controls: true, src: out.url, id: "result-video" }), downloads(job));
    return;
  }
  const source = state.sources.get(job.id);
  const after = el("div", { class: "after" }, el("img", { src: out.url, alt: "After" }));
  const compare = el("div", { class: "compare" }, el("img", { src: source ? URL.createObjectURL(source) : out.url, alt: "Before" }), after);
  const divider = el("div", { class: "divider", "aria-hidden": "true" });
  compare.append(divider);
  const slider = el("input", { type: "range", min: 0, max: 100, value: 50, "aria-label": "Before / after" });
  const set = () => { after.style.clipPath = `inset(0 0 0 ${slider.value}%)`; divider.style.left = `${slider.value}%`; };
  slider.addEventListener("input", set);
  set();
  put(body, el("div", { class: "before-after" }, compare, slider),
    el("p", { class: "muted" }, "Left of the line: before. Right: after. Drag the slider (or use the arrow keys) to compare."), downloads(job));
}

// ------------------------------------------------------------------ start
function wireDrop() {
  const drop = $("drop"), input = $("file");
  drop.addEventListener("click", () => input.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  input.addEventListener("change", () => setFiles(input.files));
  for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) drop.addEventListener(ev, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); if (e.dataTransfer.files.length) setFiles(e.dataTransfer.files); });
  // a file dropped anywhere on the page is meant for the drop zone, not to replace the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => { e.preventDefault(); if (e.dataTransfer.files.length && state.kinds[state.kind].inputs) setFiles(e.dataTransfer.files); });
}

function wireTabs(kinds) {
  const tabs = $("tabs");
  for (const k of kinds) {
    tabs.append(el("button", { type: "button", role: "tab", "data-kind": k.name, onclick: () => selectKind(k.name) }, TAB[k.name] || k.title));
  }
  tabs.addEventListener("keydown", (e) => {  // arrow keys move between tabs, as in any tab bar
    const names = kinds.map((k) => k.name), i = names.indexOf(state.kind);
    if (e.key === "ArrowRight") selectKind(names[(i + 1) % names.length], true);
    else if (e.key === "ArrowLeft") selectKind(names[(i + names.length - 1) % names.length], true);
  });
}

async function start() {
  try {
    const { kinds } = await api("/api/kinds");
    for (const k of kinds) state.kinds[k.name] = k;
    wireTabs(kinds);
    wireDrop();
    $("job-form").addEventListener("submit", submit);
    $("preview").addEventListener("click", () => submit(null, { "preview-styles": true }));
    $("cancel").addEventListener("click", () => state.current && cancel(state.current));
    selectKind(state.kinds[location.hash.slice(1)] ? location.hash.slice(1) : "score");
    const { jobs } = await api("/api/jobs");
    for (const job of jobs) { onJob(job); if (!TERMINAL.includes(job.state)) watch(job.id); }
    document.body.dataset.ready = "1";
  } catch (err) {
    showError(`cinemuse studio: ${err.message}`);
  }
}

start();
