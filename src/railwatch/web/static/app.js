// railwatch dashboard and review tool. Plain DOM, no framework; every piece of text from the
// store goes in through textContent or an attribute, never as markup, so press text cannot run.
"use strict";

const API = "/api/v1";
const CLASSES = ["box", "open", "tank", "flat", "passenger", "locomotive", "other"];
const COLOURS = {
  box: "#1f77b4", open: "#8c564b", tank: "#2ca02c", flat: "#ff7f0e",
  passenger: "#9467bd", locomotive: "#d62728", other: "#7f7f7f",
};
const CAR_WIDTH_M = 3.2;

const state = { site: null, timeline: null, images: [], map: null, layers: {}, review: null,
  asOf: null, loadedAsOf: undefined, minScore: 0, refused: false, selecting: 0 };
window.railwatch = state; // for people poking at the page and for the browser tests

// ---------------------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
function say(message, error) {
  const s = document.getElementById("status");
  s.textContent = message || "";
  s.className = error ? "error" : "";
}
function token() { return document.getElementById("token").value.trim(); }
function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (token()) h.Authorization = "Bearer " + token();
  return h;
}
async function api(path, options) {
  const opts = Object.assign({}, options || {});
  opts.headers = headers(opts.headers);
  const r = await fetch(API + path, opts);
  if (r.status === 401) state.refused = true; // typing the token then reloads what is shown
  if (opts.raw) return r;
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) {
    const err = new Error(body.error || r.statusText);
    err.status = r.status;
    throw err;
  }
  return body;
}
function levelClass(level) { return "level-" + String(level || "").replace(/[^a-z-]/g, ""); }
function crumbs(...parts) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren(...parts.flatMap((p, i) => (i ? [" › ", p] : [p])));
}

// ---------------------------------------------------------------------------- routing
// #/site/SLUG[/image/ID][?as_of=YYYY-MM-DD]: the as-of date is part of the address, so a link
// (the demo prints one) opens on the finding of that date, not on whatever came later.
function isoDate(text) { return /^\d{4}-\d{2}-\d{2}$/.test(text || "") ? text : null; }
function siteHash(slug, imageId, asOf) {
  const when = asOf === undefined ? state.asOf : asOf;
  return `#/site/${encodeURIComponent(slug)}` + (imageId ? `/image/${imageId}` : "") +
    (when ? `?as_of=${when}` : "");
}
function asOfQuery(sep) { return state.asOf ? `${sep || "?"}as_of=${state.asOf}` : ""; }

async function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  state.asOf = isoDate(new URLSearchParams(query || "").get("as_of"));
  try {
    if (parts[0] === "site" && parts[1]) {
      await showSite(decodeURIComponent(parts[1]), parts[2] === "image" ? Number(parts[3]) : null);
    } else {
      await showSites();
    }
  } catch (e) {
    say(e.status === 401 ? "This server wants the token for reads: type it above." : e.message, true);
  }
}

// ---------------------------------------------------------------------------- site list
async function showSites() {
  crumbs(el("span", {}, "sites"));
  const main = document.getElementById("main");
  const { sites } = await api("/sites");
  const body = el("tbody");
  main.replaceChildren(
    el("h1", {}, "Sites"),
    el("table", { class: "sites" },
      el("thead", {}, el("tr", {}, ["site", "country", "latest date", "freight cars", "level"]
        .map((h) => el("th", { scope: "col" }, h)))),
      body),
  );
  for (const s of sites) {
    const row = el("tr", {}, el("td", {}, el("a", { href: "#/site/" + encodeURIComponent(s.slug) },
      s.name)), el("td", {}, s.country), el("td", {}, "…"), el("td", {}, ""), el("td", {}, ""));
    body.append(row);
    api("/sites/" + encodeURIComponent(s.slug) + "/analysis").then((a) => {
      row.children[2].textContent = a.latest.date;
      row.children[3].textContent = a.latest.value;
      row.children[4].textContent = a.latest.level;
      row.children[4].className = levelClass(a.latest.level);
    }).catch(() => { row.children[2].textContent = "no observations"; });
  }
  say(sites.length ? "" : "No sites yet: railwatch sites add --builtin");
}

// ---------------------------------------------------------------------------- site page
async function showSite(slug, imageId) {
  if (!state.site || state.site.slug !== slug || !document.getElementById("map") ||
      state.loadedAsOf !== state.asOf) {
    await loadSite(slug);
  }
  if (imageId) await selectImage(imageId);
}

async function loadSite(slug) {
  const q = "/sites/" + encodeURIComponent(slug);
  const [site, images, timeline] = await Promise.all([
    api(q), api(q + "/images"), api(q + "/timeline" + asOfQuery()).catch(() => null),
  ]);
  state.loadedAsOf = state.asOf;
  state.site = site;
  state.images = images.images;
  state.timeline = timeline;
  crumbs(el("a", { href: "#/" }, "sites"), el("span", {}, site.name));
  const main = document.getElementById("main");
  const reviewPanel = el("section", { class: "panel", id: "review", "aria-label": "review" },
    el("h2", {}, "Image"), el("p", {}, "Pick an image: a footprint on the map or a date on the chart."));
  main.replaceChildren(
    el("h1", {}, site.name, " ", el("small", {}, site.country)),
    el("div", { class: "site-grid" },
      el("div", {}, el("div", { id: "map", role: "application", "aria-label": "map of the site" })),
      el("div", {},
        el("section", { class: "panel", id: "finding" }, el("h2", {}, "Finding"),
          asOfControl(slug, timeline),
          el("p", { class: "finding" }, timeline ? timeline.finding : "No observations yet."),
          el("p", { class: "judgment", id: "judgment" }, "")),
        reviewPanel,
        el("section", { class: "panel downloads", "aria-label": "report" }, el("h2", {}, "Report"),
          ["html", "pdf", "md"].map((f) => el("button", { type: "button", onclick: () => download(f) },
            "Download " + f.toUpperCase()))))),
    el("section", { "aria-label": "timeline" }, el("h2", {}, "Timeline"), el("div", { class: "chart-wrap", id: "chart" })),
    el("section", { "aria-label": "press comparison", id: "press" }, el("h2", {}, "Press")),
  );
  state.review = null; // a new map and an empty review panel: no image is open on them yet
  drawMap();
  if (timeline) drawChart(timeline);
  api(q + "/judgment" + asOfQuery()).then((j) => {
    document.getElementById("judgment").textContent = "Key judgment: " + j.judgment;
  }).catch(() => {});
  api("/press/comparison?site=" + encodeURIComponent(slug)).then(drawPress).catch(() => {});
}

function asOfControl(slug, timeline) {
  // The date judged: the latest on or before "as of" (empty: the latest stored).
  const input = el("input", { type: "date", id: "as-of", value: state.asOf || "",
    "aria-label": "judge the site as of this date (empty: latest)" });
  input.addEventListener("change", () => {
    location.hash = siteHash(slug, null, isoDate(input.value));
  });
  const latest = el("button", { type: "button", id: "as-of-latest", disabled: !state.asOf,
    onclick: () => { location.hash = siteHash(slug, null, null); } }, "Latest");
  const judged = timeline && timeline.latest ? timeline.latest.date : null;
  return el("p", { class: "as-of" }, el("label", {}, "As of ", input), " ", latest,
    el("span", { id: "judged-date" }, judged ? ` Judging ${judged}` +
      (state.asOf ? ` (the latest date on or before ${state.asOf}).` : " (the latest date stored).") : ""));
}

async function download(fmt) {
  say("Writing the " + fmt.toUpperCase() + " report…");
  const r = await api("/sites/" + encodeURIComponent(state.site.slug) + "/report." + fmt + asOfQuery(),
    { raw: true });
  if (!r.ok) { say("Report failed: " + r.status, true); return; }
  const url = URL.createObjectURL(await r.blob());
  const a = el("a", { href: url, download: state.site.slug + "." + fmt });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  say("");
}

// ---------------------------------------------------------------------------- map
const ImageTiles = () => L.GridLayer.extend({
  createTile(coords, done) {
    const img = document.createElement("img");
    img.alt = "";
    img.className = "image-tile";
    const path = `/images/${this.options.imageId}/tiles/${coords.z}/${coords.x}/${coords.y}.png`;
    api(path, { raw: true }).then(async (r) => {
      if (r.status !== 200) { img.style.visibility = "hidden"; done(null, img); return; }
      const url = URL.createObjectURL(await r.blob());
      img.onload = () => { URL.revokeObjectURL(url); img.dataset.loaded = "1"; done(null, img); };
      img.src = url;
    }).catch((e) => done(e, img));
    return img;
  },
});

function drawMap() {
  if (state.map) state.map.remove();
  const map = L.map("map", { zoomSnap: 0.5, maxZoom: 22, keyboard: true, attributionControl: false });
  state.map = map;
  const site = L.geoJSON(state.site.geometry, { style: { color: "#0b5cad", weight: 2, fill: false } });
  site.addTo(map);
  map.fitBounds(site.getBounds());
  // Footprints: one canvas layer under the boxes, however many images (ten years: 3 650).
  map.createPane("footprints").style.zIndex = 350;
  state.layers.footprints = L.geoJSON({
    type: "FeatureCollection",
    features: state.images.map((im) => ({ type: "Feature", properties: { id: im.id }, geometry: im.footprint })),
  }, {
    pane: "footprints",
    renderer: L.canvas({ pane: "footprints" }),
    style: { color: "#555", weight: 1, dashArray: "4 3", fillOpacity: 0.02 },
    onEachFeature: (f, layer) => layer.on("click", () => {
      if (state.review && (state.review.drawing || state.review.image.id === f.properties.id)) return;
      location.hash = siteHash(state.site.slug, f.properties.id);
    }),
  }).addTo(map);
  state.layers.boxes = L.layerGroup().addTo(map);
  map.on("click", onMapClick);
}

function labelStyle(lab) {
  const active = state.review && state.review.active === lab.key;
  return {
    color: COLOURS[lab.railcar_class] || "#000",
    weight: active ? 4 : 2,
    dashArray: lab.status === "rejected" ? "2 4" : (lab.status === "added" ? "6 2" : null),
    fillOpacity: lab.status === "rejected" ? 0 : 0.15,
    className: "det det-" + lab.key + " status-" + lab.status,
  };
}

// The score filter hides detector boxes scored under it (never the selected one, never a
// drawn box, which has no score); hidden boxes still count as they are.
function hidden(lab) {
  const r = state.review;
  return lab.score !== null && lab.score !== undefined && lab.score < state.minScore &&
    !(r && r.active === lab.key);
}

function drawBoxes() {
  const g = state.layers.boxes;
  g.clearLayers();
  if (!state.review) return;
  for (const lab of state.review.labels) {
    if (hidden(lab)) continue;
    const poly = L.polygon(lab.polygon.map(([lon, lat]) => [lat, lon]), labelStyle(lab));
    poly.on("click", (ev) => { L.DomEvent.stopPropagation(ev); activate(lab.key); });
    g.addLayer(poly);
    if (state.review.active === lab.key && !state.review.drawing) grabbable(lab, poly);
  }
}

// ---------------------------------------------------------------------------- move and turn
// The selected box moves with the mouse (press on it and drag) and turns about its centre by
// the round handle beyond its end; q/e turn it 2°, Shift+arrows move it 0.5 m. Each gesture is
// one edit (one undo step), saved like the others; a moved detector box counts as accepted.
const MOVE_M = 0.5, TURN_DEG = 2, HANDLE_M = 3;
function metres(ring) {
  const lat0 = ring.slice(0, 4).reduce((a, p) => a + p[1], 0) / 4;
  const lon0 = ring.slice(0, 4).reduce((a, p) => a + p[0], 0) / 4;
  const mx = 111320 * Math.cos(lat0 * Math.PI / 180), my = 110540;
  return { lon0, lat0, mx, my,
    to: ([lon, lat]) => [(lon - lon0) * mx, (lat - lat0) * my],
    from: ([x, y]) => [lon0 + x / mx, lat0 + y / my] };
}
function closed(ring) { const r = ring.slice(0, 4); return r.concat([r[0].slice()]); }
function turned(ring, degrees) {
  const m = metres(ring), a = degrees * Math.PI / 180, c = Math.cos(a), s = Math.sin(a);
  return closed(ring.map((p) => { const [x, y] = m.to(p); return m.from([x * c - y * s, x * s + y * c]); }));
}
function shifted(ring, dlon, dlat) { return closed(ring.map(([lon, lat]) => [lon + dlon, lat + dlat])); }
// Where the turn handle sits: beyond the middle of the box's far short side.
function handleAt(ring) {
  const m = metres(ring);
  const p = ring.slice(0, 4).map(m.to);
  const long01 = Math.hypot(p[1][0] - p[0][0], p[1][1] - p[0][1]) >= Math.hypot(p[2][0] - p[1][0], p[2][1] - p[1][1]);
  const end = long01 ? [(p[1][0] + p[2][0]) / 2, (p[1][1] + p[2][1]) / 2] : [(p[2][0] + p[3][0]) / 2, (p[2][1] + p[3][1]) / 2];
  const len = Math.hypot(end[0], end[1]) || 1;
  return m.from([end[0] * (1 + HANDLE_M / len), end[1] * (1 + HANDLE_M / len)]);
}
function reshape(key, ring, what) {
  const r = state.review;
  const lab = r && r.labels.find((l) => l.key === key);
  if (!lab) return;
  snapshot();
  lab.polygon = ring;
  if (lab.status === "detected") lab.status = "accepted";
  drawBoxes();
  drawReview();
  say(`${what}; u undoes, s saves.`);
}
function grabbable(lab, poly) {
  const map = state.map;
  const ll = (ring) => ring.map(([lon, lat]) => [lat, lon]);
  const [hlon, hlat] = handleAt(lab.polygon);
  const handle = L.circleMarker([hlat, hlon], { radius: 7, weight: 2, color: "#222", fillColor: "#f0b400",
    fillOpacity: 1, className: "turn-handle" });
  state.layers.boxes.addLayer(handle);
  const grab = (turn) => (e) => {
    if (e.button !== 0 || state.review.drawing) return;
    e.stopPropagation();
    e.preventDefault();
    const ring0 = lab.polygon.map((p) => p.slice());
    const m = metres(ring0);
    const at = (ev) => map.mouseEventToLatLng(ev);
    const start = at(e), x0 = e.clientX, y0 = e.clientY;
    const a0 = Math.atan2((start.lat - m.lat0) * m.my, (start.lng - m.lon0) * m.mx);
    let ring = null;
    const onMove = (ev) => {
      if (!ring && Math.hypot(ev.clientX - x0, ev.clientY - y0) < 3) return;
      const p = at(ev);
      if (turn) {
        const a = Math.atan2((p.lat - m.lat0) * m.my, (p.lng - m.lon0) * m.mx);
        ring = turned(ring0, (a - a0) * 180 / Math.PI);
      } else {
        ring = shifted(ring0, p.lng - start.lng, p.lat - start.lat);
      }
      poly.setLatLngs(ll(ring));
      const [lon, lat] = handleAt(ring);
      handle.setLatLng([lat, lon]);
    };
    const onUp = () => {
      document.removeEventListener("mousemove", onMove);
      document.removeEventListener("mouseup", onUp);
      map.getContainer().classList.remove("grabbing");
      if (!ring) return;
      // The click that ends a drag is not a click on the map (it would open another footprint).
      const swallow = (ev) => { ev.stopPropagation(); ev.preventDefault(); };
      window.addEventListener("click", swallow, { capture: true, once: true });
      setTimeout(() => window.removeEventListener("click", swallow, { capture: true }), 0);
      reshape(lab.key, ring, turn ? "Turned the box" : "Moved the box");
    };
    map.getContainer().classList.add("grabbing");
    document.addEventListener("mousemove", onMove);
    document.addEventListener("mouseup", onUp);
  };
  const body = poly.getElement(), knob = handle.getElement();
  if (body) { body.classList.add("movable"); body.addEventListener("mousedown", grab(false)); }
  if (knob) knob.addEventListener("mousedown", grab(true));
}
function nudge(dx, dy, degrees) {
  const r = state.review;
  const lab = r && r.labels.find((l) => l.key === r.active);
  if (!lab) return;
  const m = metres(lab.polygon);
  const ring = degrees ? turned(lab.polygon, degrees) : shifted(lab.polygon, dx / m.mx, dy / m.my);
  reshape(lab.key, ring, degrees ? `Turned the box ${degrees}°` : `Moved the box ${Math.hypot(dx, dy)} m`);
}

// ---------------------------------------------------------------------------- chart
function drawChart(tl) {
  const box = document.getElementById("chart");
  const dates = tl.dates;
  const t0 = Date.parse(dates[0].date), t1 = Date.parse(dates[dates.length - 1].date) || t0 + 1;
  const span = Math.max(1, t1 - t0);
  const W = Math.max(box.clientWidth - 2, 600, Math.min(8000, dates.length * 3));
  const pad = { l: 40, r: 60, t: 16, b: 40 };
  const labels = layoutEventLabels(tl.events, (d) => pad.l + ((Date.parse(d) - t0) / span) * (W - pad.l - pad.r),
    pad.l, W - 4);
  pad.t += labels.rows * EVENT_ROW;
  const H = 244 + pad.t;
  const x = (d) => pad.l + ((Date.parse(d) - t0) / span) * (W - pad.l - pad.r);
  const top = Math.max(1, ...dates.map((d) => Math.max(d.value, d.max || 0)),
    ...tl.press.map((p) => p.count));
  const y = (v) => H - pad.b - (v / top) * (H - pad.t - pad.b);
  const bw = Math.max(2, Math.min(14, ((W - pad.l - pad.r) / dates.length) * 0.7));
  const root = svg("svg", { class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`,
    role: "group", "aria-label": `${tl.railcar_class} railcars per date, ${dates.length} dates` });
  // Baseline band: earlier median to earlier maximum.
  const withBase = dates.filter((d) => d.median !== null && d.max !== null);
  if (withBase.length > 1) {
    const pts = withBase.map((d) => `${x(d.date)},${y(d.max)}`)
      .concat(withBase.slice().reverse().map((d) => `${x(d.date)},${y(d.median)}`));
    root.append(svg("polygon", { class: "band", points: pts.join(" ") }));
  }
  root.append(svg("line", { x1: pad.l, x2: W - pad.r, y1: y(0), y2: y(0), stroke: "#999" }));
  for (let v = 0; v <= top; v += Math.max(1, Math.ceil(top / 5))) {
    root.append(svg("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end" }, v));
  }
  const years = new Set(dates.map((d) => d.date.slice(0, 4)));
  for (const yr of years) {
    const xx = x(yr + "-01-01");
    if (xx >= pad.l) root.append(svg("text", { x: xx, y: H - pad.b + 28 }, yr));
  }
  for (const lab of labels.placed) {
    const xx = lab.x, ty = 12 + lab.row * EVENT_ROW;
    root.append(svg("g", { class: "event" },
      svg("line", { x1: xx, x2: xx, y1: ty + 2, y2: y(0) }),
      svg("text", { x: lab.anchor === "end" ? xx - 3 : xx + 3, y: ty, "text-anchor": lab.anchor }, lab.text),
      svg("title", {}, lab.event.date + " " + lab.event.title)));
  }
  const many = dates.length > 600;
  for (const d of dates) {
    const xx = x(d.date);
    const g = svg("g", { class: "date", tabindex: many ? -1 : 0, role: "button", "data-date": d.date,
      "aria-label": `${d.date}: ${d.value} ${tl.railcar_class}, ${d.level}` });
    g.append(svg("rect", { class: "hit", x: xx - bw / 2 - 1, y: pad.t, width: bw + 2, height: y(0) - pad.t }));
    let base = 0;
    const split = CLASSES.filter((c) => d.counts[c]);
    if (split.length && !many) {
      for (const c of split) {
        const n = d.counts[c];
        g.append(svg("rect", { x: xx - bw / 2, y: y(base + n), width: bw, height: y(base) - y(base + n), fill: COLOURS[c] }));
        base += n;
      }
    } else {
      g.append(svg("rect", { x: xx - bw / 2, y: y(d.value), width: bw, height: y(0) - y(d.value), fill: "#1f77b4" }));
    }
    if (d.level === "unprecedented" || d.level === "elevated") {
      g.append(svg("circle", { class: "marker-" + d.level, cx: xx, cy: y(d.value) - 7, r: d.level === "unprecedented" ? 5 : 4 }));
    }
    g.append(svg("title", {}, `${d.date}: ${d.value} (${d.method}) — ${d.level}`));
    const pick = () => {
      const id = d.image_id || (d.image_ids || [])[0];
      if (id) location.hash = siteHash(state.site.slug, id);
      else say(`No image on ${d.date} (${d.method} count).`);
    };
    g.addEventListener("click", pick);
    g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
    root.append(g);
  }
  for (const p of tl.press) {
    const xx = x(p.date), yy = y(p.count);
    root.append(svg("path", { class: "press", d: `M${xx},${yy - 5}L${xx + 5},${yy}L${xx},${yy + 5}L${xx - 5},${yy}Z` },
      svg("title", {}, `${p.date}: ${p.source} says ${p.count} ${p.railcar_class}`)));
  }
  const legend = el("div", { class: "legend" },
    CLASSES.map((c) => el("span", {}, el("i", { class: "swatch-" + c }), c)),
    el("span", {}, "grey band: earlier median to earlier maximum; red dot: unprecedented; orange: elevated; purple diamond: press claim"));
  legend.querySelectorAll("i").forEach((i, k) => { i.style.background = COLOURS[CLASSES[k]]; });
  box.replaceChildren(root, legend);
}

// Event titles above the chart, each on the first row where it overlaps no other: on the
// demo the talks and the border reopening fall days apart and their titles were drawn over
// each other at the chart's top right. A title that would run past the right edge ends at
// its line instead; one longer than EVENT_CHARS is cut (the full title is its tooltip).
const EVENT_ROW = 13, EVENT_CHAR_PX = 6.2, EVENT_CHARS = 48, EVENT_ROWS = 6;
function layoutEventLabels(events, x, left, right) {
  const rows = [];
  const placed = [];
  const sorted = events.map((e) => ({ event: e, x: x(e.date) }))
    .filter((e) => e.x >= left && e.x <= right).sort((a, b) => a.x - b.x);
  for (const item of sorted) {
    const title = item.event.title;
    const text = title.length > EVENT_CHARS ? title.slice(0, EVENT_CHARS - 1) + "…" : title;
    const w = text.length * EVENT_CHAR_PX + 6;
    const anchor = item.x + w > right ? "end" : "start";
    const from = anchor === "end" ? item.x - w : item.x, to = anchor === "end" ? item.x : item.x + w;
    let row = rows.findIndex((spans) => spans.every(([a, b]) => to < a || from > b));
    if (row < 0) {
      if (rows.length >= EVENT_ROWS) row = rows.length - 1;
      else { rows.push([]); row = rows.length - 1; }
    }
    rows[row].push([from, to]);
    placed.push({ event: item.event, x: item.x, row, text, anchor, from, to });
  }
  return { rows: rows.length, placed };
}

// ---------------------------------------------------------------------------- press
// A report's name: its outlet (and title), else its title, else its first words and file name
// (seed reports with neither read "document 5" before; their files are named by hashes).
function documentName(d) {
  const file = String(d.path || "").split(/[\\/]/).pop();
  if (d.outlet) return d.title ? `${d.outlet}: ${d.title}` : d.outlet;
  return d.title || file || "document " + d.id;
}
const FIRST_WORDS = 8;
function firstWords(text) {
  const words = String(text || "").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "";
  return "“" + words.slice(0, FIRST_WORDS).join(" ") + (words.length > FIRST_WORDS ? "…" : "") + "”";
}
function documentLabel(d) {
  const span = el("span", { class: "doc-name", "data-document": d.id }, documentName(d));
  if (!d.outlet && !d.title) {
    api("/press/documents/" + Number(d.id)).then((full) => {
      const words = firstWords(full.clean_text || full.raw_text);
      if (words) span.textContent = words + " (" + documentName(d) + ")";
    }).catch(() => {});
  }
  return span;
}

function drawPress(cmp) {
  const sec = document.getElementById("press");
  if (!cmp.groups.length) { sec.append(el("p", {}, "No press reports stored.")); return; }
  for (const g of cmp.groups) {
    sec.append(el("h3", {}, "Event " + g.key + " — " + g.documents.length + " report(s): ",
      g.documents.flatMap((d, i) => [i ? "; " : "", documentLabel(d)])));
    sec.append(el("table", {}, el("thead", {}, el("tr", {}, ["slot", "status", "what each source says"]
      .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, g.slots.map((s) => el("tr", {}, el("td", {}, s.label),
        el("td", {}, s.status, s.note ? el("div", { class: "press-quote" }, s.note) : null),
        el("td", {}, s.values.map((v) => el("div", {}, v.source + ": " + v.display + " ",
          el("span", { class: "press-quote" }, "“" + v.quote + "”")))))))));
  }
}

// ---------------------------------------------------------------------------- review
// The map goes to the image at once, before its tiles are asked for and its boxes drawn: fitted
// after the review had come (and animated), the first tiles were those of the view before, so
// data-tiles said "loaded" while the map was still zooming, and the boxes were drawn, and could
// be clicked, mid-zoom. data-tiles follows the tiles of the view shown: "loading" whenever the
// view needs tiles it has not got, "loaded" once it has them all.
async function selectImage(id) {
  const image = state.images.find((im) => im.id === id);
  if (!image) { say("No image " + id + " at this site.", true); return; }
  const shown = state.review && state.review.image.id === id ? state.review : null;
  const seq = ++state.selecting;
  if (!shown) {
    state.map.fitBounds(L.geoJSON(image.footprint).getBounds(), { maxZoom: 20, animate: false });
    if (state.layers.tiles) state.map.removeLayer(state.layers.tiles);
    const Tiles = ImageTiles();
    const box = state.map.getContainer();
    box.dataset.tiles = "loading";
    state.layers.tiles = new Tiles({ imageId: id, maxZoom: 22, tileSize: 256 });
    state.layers.tiles.on("loading", () => { box.dataset.tiles = "loading"; });
    state.layers.tiles.on("load", () => { box.dataset.tiles = "loaded"; });
    state.layers.tiles.addTo(state.map);
    state.layers.tiles.bringToBack();
  }
  const before = shown && { undo: shown.undo.length, active: shown.active, drawing: shown.drawing };
  const doc = await api(`/images/${id}/review`);
  if (seq !== state.selecting) return; // another image was picked meanwhile: that one shows
  // The image shown read again (typing the token reloads what is shown): a box the reviewer
  // picked, drew or edited while the answer was on its way stays; it is not thrown away.
  if (shown && state.review === shown && (shown.undo.length !== before.undo ||
      shown.active !== before.active || shown.drawing !== before.drawing)) return;
  state.review = { image, revision: doc.review.revision, labels: doc.review.labels, undo: [],
    active: null, drawing: null, status: doc.review.status, reviewer: doc.review.reviewer,
    waiting: null };
  document.querySelectorAll("svg.chart g.date").forEach((n) => n.classList.toggle("selected",
    n.dataset.date === image.acquired_at.slice(0, 10)));
  drawBoxes();
  drawReview();
  refreshWaiting(id);
}

// How many images still wait for review, and which comes next: a hint beside the } key,
// asked again after each "mark reviewed" so the count includes the image just done.
function refreshWaiting(id) {
  api(`/sites/${encodeURIComponent(state.site.slug)}/reviews/next?after=${id}`).then((found) => {
    if (state.review && state.review.image.id === id) { state.review.waiting = found; showWaiting(); }
  }).catch(() => {});
}

function waitingText(found) {
  if (!found) return "";
  const left = `${found.unreviewed} of ${found.images} images not yet reviewed`;
  if (!found.image_id) return left + "; no other image waits.";
  return left + `; next: image ${found.image_id}, ${String(found.acquired_at).slice(0, 10)}` +
    (found.wrapped ? " (from the start)" : "") + ".";
}
function showWaiting() {
  const p = document.getElementById("waiting");
  if (p) p.textContent = waitingText(state.review && state.review.waiting);
}

function counts(labels) {
  const out = Object.fromEntries(CLASSES.map((c) => [c, 0]));
  for (const l of labels) if (l.status !== "rejected") out[l.railcar_class] += 1;
  return out;
}

function drawReview() {
  const r = state.review;
  const panel = document.getElementById("review");
  const c = counts(r.labels);
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const list = labelList();
  const active = r.labels.find((l) => l.key === r.active);
  const classSelect = el("select", { id: "class-select", "aria-label": "class of the selected car", disabled: !active },
    CLASSES.map((k) => el("option", { value: k, selected: active && active.railcar_class === k }, k)));
  classSelect.addEventListener("change", () => edit((l) => { l.railcar_class = classSelect.value; }));
  panel.replaceChildren(
    el("h2", {}, `Image ${r.image.id}, ${r.image.acquired_at.slice(0, 16).replace("T", " ")} UTC`),
    el("p", {}, `Status: ${r.status}` + (r.reviewer ? ` (${r.reviewer})` : "") + `, revision ${r.revision}. ` +
      `${total} cars: ` + CLASSES.filter((k) => c[k]).map((k) => `${c[k]} ${k}`).join(", ")),
    el("div", { id: "conflict", class: "conflict", role: "alert" }),
    el("div", { class: "toolbar" },
      el("button", { type: "button", id: "accept", onclick: () => edit((l) => { l.status = l.detection_id ? "accepted" : "added"; }), disabled: !active }, "Accept (a)"),
      el("button", { type: "button", id: "reject", onclick: () => edit((l) => { l.status = "rejected"; }), disabled: !active }, "Reject (r)"),
      el("button", { type: "button", id: "tarp", onclick: () => edit((l) => { l.tarped = !l.tarped; }), disabled: !active }, "Tarp (t)"),
      el("button", { type: "button", id: "accept-rest", onclick: acceptRest,
        disabled: !r.labels.some((l) => l.status === "detected" && !hidden(l)) }, "Accept all remaining (A)"),
      el("button", { type: "button", id: "reject-below", onclick: rejectBelow, disabled: !below().length },
        rejectBelowText()),
      classSelect,
      el("button", { type: "button", id: "draw", onclick: startDraw, "aria-pressed": r.drawing ? "true" : "false" },
        r.drawing ? "Drawing: click the car's two ends" : "Draw missed car (d)"),
      el("label", {}, "width m ", el("input", { id: "car-width", type: "number", min: "1", max: "6", step: "0.1", value: CAR_WIDTH_M, size: 3 })),
      el("button", { type: "button", id: "undo", onclick: undo, disabled: !r.undo.length }, "Undo (u)"),
      el("button", { type: "button", id: "save", onclick: () => save(false) }, "Save (s)"),
      el("button", { type: "button", id: "mark-reviewed", onclick: () => save(true) }, "Mark image reviewed"),
      el("button", { type: "button", id: "prev-image", onclick: () => stepImage(-1) }, "‹ Image ([)"),
      el("button", { type: "button", id: "next-image", onclick: () => stepImage(1) }, "Image (]) ›"),
      el("button", { type: "button", id: "prev-unreviewed", onclick: () => stepUnreviewed(-1) }, "‹ Unreviewed ({)"),
      el("button", { type: "button", id: "next-unreviewed", onclick: () => stepUnreviewed(1) }, "Unreviewed (}) ›")),
    scoreFilter(),
    el("p", { id: "waiting", class: "keys" }, waitingText(r.waiting)),
    el("p", { class: "keys" }, "Keys: → ← or n/p next/previous box, a accept, A accept all remaining, r reject, " +
      "R reject all below the score, t tarp, 1–7 class, d draw (two clicks along the car), drag the selected box " +
      "to move it and its round handle to turn it (q/e turn 2°, Shift+arrows move 0.5 m), u undo, s save, " +
      "] [ next/previous image by date, } { next/previous image not yet reviewed, Esc cancel."),
    el("div", { class: "labels" }, list),
  );
}

function labelList() {
  const r = state.review;
  const items = [];
  r.labels.forEach((lab, i) => {
    if (hidden(lab)) return;
    items.push(el("li", { class: (r.active === lab.key ? "active " : "") + lab.status },
      el("button", { type: "button", "data-key": lab.key, onclick: () => activate(lab.key) },
        `${i + 1}. ${lab.railcar_class}${lab.tarped ? " (tarp)" : ""} — ${lab.status}` +
        (lab.score !== null && lab.score !== undefined ? ` ${Number(lab.score).toFixed(2)}` : ""))));
  });
  return el("ul", {}, items);
}

// ---------------------------------------------------------------------------- score filter
// Hide the detector's boxes scored under a threshold, and reject every undecided one of them at
// once (one undo step): a reviewer who trusts the detector above 0.5 clears the doubtful rest.
function scoreText(x) { return String(Number(x.toFixed(3))); }
function below() {
  return state.review.labels.filter((l) => l.status === "detected" && l.score !== null &&
    l.score !== undefined && l.score < state.minScore);
}
function rejectBelowText() {
  return `Reject ${below().length} below ${scoreText(state.minScore)} (R)`;
}
function hiddenText() {
  const n = state.review.labels.filter(hidden).length;
  return n ? `${n} box(es) scored under ${scoreText(state.minScore)} hidden (they still count unless rejected).` : "";
}
function scoreFilter() {
  const v = scoreText(state.minScore);
  const range = el("input", { type: "range", id: "min-score", min: "0", max: "1", step: "0.01", value: v,
    "aria-label": "hide detector boxes scored under this" });
  const number = el("input", { type: "number", id: "min-score-n", min: "0", max: "1", step: "0.005", value: v,
    size: 4, "aria-label": "score threshold" });
  const set = (input, other) => () => {
    const x = Math.min(1, Math.max(0, Number(input.value) || 0));
    state.minScore = x;
    localStorage.setItem("railwatch.minScore", String(x));
    other.value = scoreText(x);
    refreshFilter();
  };
  range.addEventListener("input", set(range, number));
  number.addEventListener("input", set(number, range));
  return el("p", { class: "score-filter" },
    el("label", {}, "Hide boxes scored under ", range), " ", number, " ",
    el("span", { id: "hidden-note", class: "keys" }, hiddenText()));
}
// Only the boxes, the list and the counts follow the slider: rebuilding the panel would drop it.
function refreshFilter() {
  drawBoxes();
  const box = document.querySelector("#review .labels");
  if (box) box.replaceChildren(labelList());
  const note = document.getElementById("hidden-note");
  if (note) note.textContent = hiddenText();
  const b = document.getElementById("reject-below");
  if (b) { b.textContent = rejectBelowText(); b.disabled = !below().length; }
  const rest = document.getElementById("accept-rest");
  if (rest) rest.disabled = !state.review.labels.some((l) => l.status === "detected" && !hidden(l));
}
function rejectBelow() {
  const r = state.review;
  const doomed = r ? below() : [];
  if (!doomed.length) { say(`No undecided box scored under ${scoreText(state.minScore)}.`); return; }
  snapshot();
  for (const l of doomed) l.status = "rejected";
  drawBoxes();
  drawReview();
  say(`Rejected ${doomed.length} box(es) scored under ${scoreText(state.minScore)}; u undoes.`);
}

function activate(key) {
  state.review.active = key;
  drawBoxes();
  drawReview();
  // The keys act on the box from its entry in the list, which scrolls to show it; the page does
  // not: focus() scrolled it to centre the entry, and below the fold that carried the map, and
  // the box just clicked to be dragged, out of the window.
  const b = document.querySelector(`.labels button[data-key="${CSS.escape(key)}"]`);
  if (!b) return;
  b.focus({ preventScroll: true });
  const list = b.closest(".labels"), lr = list.getBoundingClientRect(), br = b.getBoundingClientRect();
  if (br.top < lr.top) list.scrollTop -= lr.top - br.top;
  else if (br.bottom > lr.bottom) list.scrollTop += br.bottom - lr.bottom;
}

// Most of a good detector's boxes are right: the reviewer fixes the wrong ones, then accepts
// the rest at once (one undo step) instead of 70 key presses.
// Only the boxes in sight: those the score filter hides stay undecided (nobody looked at them).
function acceptRest() {
  const r = state.review;
  const rest = r ? r.labels.filter((l) => l.status === "detected" && !hidden(l)) : [];
  if (!rest.length) return;
  snapshot();
  for (const l of rest) l.status = "accepted";
  const left = r.labels.filter((l) => l.status === "detected").length;
  drawBoxes();
  drawReview();
  say(`Accepted ${rest.length} remaining box(es)` +
    (left ? `; ${left} hidden by the score filter left undecided` : "") + "; u undoes.");
}

// The site's images in time order: the next or previous one, keeping the as-of date.
function stepImage(delta) {
  const r = state.review;
  if (!r) return;
  const order = state.images.slice().sort((a, b) => a.acquired_at.localeCompare(b.acquired_at) || a.id - b.id);
  const i = order.findIndex((im) => im.id === r.image.id);
  const next = order[i + delta];
  if (!next) { say(delta > 0 ? "This is the site's last image." : "This is the site's first image."); return; }
  if (r.undo.length && !confirmLeave()) return;
  location.hash = siteHash(state.site.slug, next.id);
}
// The site's next (previous) image nobody has marked reviewed yet: the server answers, so a
// colleague's reviews since the page loaded are skipped too.
async function stepUnreviewed(delta) {
  const r = state.review;
  if (!r) return;
  if (r.undo.length && !confirmLeave()) return;
  const slug = state.site.slug;
  try {
    const found = await api(`/sites/${encodeURIComponent(slug)}/reviews/next?after=${r.image.id}` +
      `&direction=${delta > 0 ? "next" : "previous"}`);
    if (!found.image_id) { say("No other image of this site waits for review."); return; }
    say(`Image ${found.image_id} (${String(found.acquired_at).slice(0, 10)}, ${found.status})` +
      (found.wrapped ? (delta > 0 ? ", from the start again" : ", from the end again") : "") +
      `: ${found.unreviewed} image(s) not yet reviewed.`);
    location.hash = siteHash(slug, found.image_id);
  } catch (e) {
    say("Could not find the next image to review: " + e.message, true);
  }
}
function confirmLeave() {
  say("Unsaved edits on this image: save (s) first, or press the key again to leave them.", true);
  const again = state.review.leaveArmed;
  state.review.leaveArmed = true;
  return Boolean(again);
}

function snapshot() { state.review.undo.push(JSON.stringify(state.review.labels)); }
function edit(fn) {
  const r = state.review;
  const lab = r && r.labels.find((l) => l.key === r.active);
  if (!lab) return;
  snapshot();
  fn(lab);
  drawBoxes();
  drawReview();
}
function undo() {
  const r = state.review;
  if (!r || !r.undo.length) return;
  r.labels = JSON.parse(r.undo.pop());
  drawBoxes();
  drawReview();
}

function startDraw() {
  if (!state.review) return;
  state.review.drawing = { first: null };
  drawReview();
  say("Click one end of the missed car, then the other end.");
}

function onMapClick(ev) {
  const r = state.review;
  if (!r || !r.drawing) return;
  if (!r.drawing.first) { r.drawing.first = ev.latlng; return; }
  const a = r.drawing.first, b = ev.latlng;
  r.drawing = null;
  const width = Number(document.getElementById("car-width").value) || CAR_WIDTH_M;
  // An oriented box: the clicked axis, half the width either side (local metres).
  const lat0 = (a.lat + b.lat) / 2, mx = 111320 * Math.cos(lat0 * Math.PI / 180), my = 110540;
  const dx = (b.lng - a.lng) * mx, dy = (b.lat - a.lat) * my, len = Math.hypot(dx, dy);
  if (len < 1) { say("The two clicks are too close: click the car's two ends.", true); drawReview(); return; }
  const nx = (-dy / len) * width / 2, ny = (dx / len) * width / 2;
  const corner = (p, s) => [p.lng + (s * nx) / mx, p.lat + (s * ny) / my];
  const ring = [corner(a, 1), corner(b, 1), corner(b, -1), corner(a, -1)];
  snapshot();
  let n = 1;
  while (r.labels.some((l) => l.key === "a" + n)) n += 1;
  const cls = document.getElementById("class-select").value || "box";
  r.labels.push({ key: "a" + n, detection_id: null, railcar_class: cls, tarped: false, status: "added", polygon: ring, score: null });
  r.active = "a" + n;
  say(`Added a ${cls} (${len.toFixed(1)} m); change its class with 1–7.`);
  drawBoxes();
  drawReview();
}

async function save(reviewed) {
  const r = state.review;
  const reviewer = document.getElementById("reviewer").value.trim();
  if (!reviewer) { say("Type your name as reviewer first.", true); document.getElementById("reviewer").focus(); return; }
  localStorage.setItem("railwatch.reviewer", reviewer);
  const body = {
    reviewer, base_revision: r.revision, reviewed,
    labels: r.labels.map((l) => ({ key: l.key, detection_id: l.detection_id, railcar_class: l.railcar_class,
      tarped: l.tarped, status: l.status, polygon: l.polygon })),
  };
  try {
    const doc = await api(`/images/${r.image.id}/review`, {
      method: "PUT", body: JSON.stringify(body), headers: { "Content-Type": "application/json" },
    });
    r.revision = doc.review.revision;
    r.labels = doc.review.labels;
    r.status = doc.review.status;
    r.reviewer = doc.review.reviewer;
    r.undo = [];
    drawBoxes();
    drawReview();
    if (doc.conflict) {
      document.getElementById("conflict").textContent = `Conflict: someone saved this image after you loaded it (base revision ${body.base_revision}); your save replaced theirs as revision ${doc.review.revision}. Their labels are kept in the history.`;
    }
    say(reviewed ? `Image ${r.image.id} reviewed: ${doc.observations.length} analyst counts stored.` : `Saved revision ${doc.review.revision}.`);
    if (reviewed) {
      refreshWaiting(r.image.id);
      const tl = await api("/sites/" + encodeURIComponent(state.site.slug) + "/timeline" + asOfQuery());
      state.timeline = tl;
      drawChart(tl);
    }
  } catch (e) {
    say(e.status === 401 ? "Saving needs the token: type it above." : (e.status === 403 ? e.message : "Save failed: " + e.message), true);
  }
}

function onKey(e) {
  const t = e.target;
  const slider = t && t.tagName === "INPUT" && t.type === "range" && !e.key.startsWith("Arrow");
  if (t && !slider && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
  const r = state.review;
  if (!r || e.ctrlKey && e.key !== "z" || e.metaKey || e.altKey) return;
  const k = e.key;
  // Arrow keys on the map pan it (Leaflet); everywhere else they step through the boxes.
  const onMap = t && t.closest && t.closest("#map");
  const arrow = (k === "ArrowRight" || k === "ArrowLeft" || k === "ArrowDown" || k === "ArrowUp") && !onMap;
  if (arrow && e.shiftKey) {
    nudge(k === "ArrowRight" ? MOVE_M : (k === "ArrowLeft" ? -MOVE_M : 0),
      k === "ArrowUp" ? MOVE_M : (k === "ArrowDown" ? -MOVE_M : 0), 0);
  } else if (k === "n" || k === "p" || arrow) {
    // Step through the boxes the score filter shows.
    const shown = r.labels.filter((l) => !hidden(l) || l.key === r.active);
    const at = shown.findIndex((l) => l.key === r.active);
    const fwd = k === "n" || k === "ArrowRight" || k === "ArrowDown";
    const j = shown.length ? (at < 0 && !fwd ? shown.length - 1 : (at + (fwd ? 1 : -1) + shown.length) % shown.length) : -1;
    if (j >= 0) activate(shown[j].key);
  } else if (k === "A") acceptRest();
  else if (k === "R") rejectBelow();
  else if (k === "q") nudge(0, 0, TURN_DEG);
  else if (k === "e") nudge(0, 0, -TURN_DEG);
  else if (k === "]") stepImage(1);
  else if (k === "[") stepImage(-1);
  else if (k === "}") stepUnreviewed(1);
  else if (k === "{") stepUnreviewed(-1);
  else if (k === "a") edit((l) => { l.status = l.detection_id ? "accepted" : "added"; });
  else if (k === "r" || k === "Delete") edit((l) => { l.status = "rejected"; });
  else if (k === "t") edit((l) => { l.tarped = !l.tarped; });
  else if (/^[1-7]$/.test(k)) edit((l) => { l.railcar_class = CLASSES[Number(k) - 1]; });
  else if (k === "d") startDraw();
  else if (k === "u" || (e.ctrlKey && k === "z")) undo();
  else if (k === "s") save(false);
  else if (k === "Escape") { r.drawing = null; drawReview(); say(""); }
  else return;
  e.preventDefault();
}

window.addEventListener("DOMContentLoaded", () => {
  const tok = document.getElementById("token");
  tok.value = sessionStorage.getItem("railwatch.token") || "";
  tok.addEventListener("change", () => {
    sessionStorage.setItem("railwatch.token", tok.value.trim());
    // Reload what is shown when the server refused something for want of the token, but never
    // over unsaved edits. Nothing refused, nothing changes: reloading anyway read the open image
    // again and redrew its boxes under the reviewer's first click.
    if (!state.refused) return;
    if (state.review && state.review.undo.length) { say("Token set; your edits are still here."); return; }
    state.refused = false;
    route();
  });
  document.getElementById("reviewer").value = localStorage.getItem("railwatch.reviewer") || "";
  state.minScore = Math.min(1, Math.max(0, Number(localStorage.getItem("railwatch.minScore")) || 0));
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", route);
  route();
});
