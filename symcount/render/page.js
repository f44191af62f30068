"use strict";
// symcount's explorer page: exact counts with BigInt, recomputed as the inputs move.
// Each model's `engine` (compiled by symcount.jscode) gives, at a point x (BigInts in the order of
// its symbols), every cost's total and rows, its rules in the fold's order, its sizes and its
// weights' shapes. A value is a BigInt, or an exact rational {n, d} where a formula is not whole.
// User text is only ever written with textContent.

function gcd(a, b) {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b) [a, b] = [b, a % b];
  return a;
}
function Q(n, d) {
  if (typeof n !== "bigint" || typeof d !== "bigint") throw new RangeError("not whole");
  if (d === 0n) throw new RangeError("division by zero");
  if (d < 0n) { n = -n; d = -d; }
  if (n % d === 0n) return n / d;
  const g = gcd(n, d);
  return { n: n / g, d: d / g };
}
function fdiv(a, b) {
  if (b === 0n) throw new RangeError("division by zero");
  let q = a / b;
  if (a % b !== 0n && (a < 0n) !== (b < 0n)) q -= 1n;
  return q;
}
function cdiv(a, b) { return -fdiv(-a, b); }
function mx(...a) { return a.reduce((p, c) => (c > p ? c : p)); }
function mn(...a) { return a.reduce((p, c) => (c < p ? c : p)); }

const whole = (v) => typeof v === "bigint";
const atLeast = (v, k) => (whole(v) ? v >= k : v.n >= k * v.d);
const atMost = (v, k) => (whole(v) ? v <= k : v.n <= k * v.d);
const same = (a, b) => (whole(a) && whole(b) ? a === b : !whole(a) && !whole(b) && a.n === b.n && a.d === b.d);
const HOLDS = {
  size: ([v]) => whole(v) && v >= 1n,
  amount: ([v]) => whole(v) && v >= 0n,
  divides: ([v, d]) => whole(v) && whole(d) && d !== 0n && v % d === 0n,
  equal: ([a, b]) => same(a, b),
  broadcast: ([a, b]) => same(a, b) || same(a, 1n) || same(b, 1n),
  positive: ([v]) => atLeast(v, 1n),
  not_positive: ([v]) => atMost(v, 0n),
};
// As sympy prints a number: 4096/7, -3.
const shown = (v) => (whole(v) ? String(v) : `${v.n}/${v.d}`);
const sep = (v) => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

const PREFIXES = ["", "K", "M", "G", "T", "P", "E"];
const COUNTS = ["", "K", "M", "B", "T", "Q", "E"];
// As symcount.render.numbers.human: 124.4M, 8.18 GFLOPs, 474.6 MB; "" below 1,000.
function human(value, unit) {
  const text = String(value < 0n ? -value : value);
  if (text.length < 4 || text.length > 270) return "";
  let power = Math.min(Math.floor((text.length - 1) / 3), PREFIXES.length - 1);
  const digits = unit === "FLOPs" || unit === "MACs" ? 2 : 1;
  let scaled = Number(value) / 10 ** (3 * power);
  if (Number(scaled.toFixed(digits)) >= 1000 && power + 1 < PREFIXES.length) {
    power += 1;
    scaled = Number(value) / 10 ** (3 * power);
  }
  if (digits === 2) return `${scaled.toFixed(2)} ${PREFIXES[power]}${unit}`;
  if (unit === "bytes") return `${scaled.toFixed(1)} ${PREFIXES[power].replace("K", "k")}B`;
  return `${scaled.toFixed(1)}${COUNTS[power]}`;
}

class Explorer {
  constructor(root, engine) {
    this.root = root;
    this.engine = engine;
    this.data = JSON.parse(root.querySelector("script.data").textContent);
    this.key = root.dataset.model;
    this.prefix = this.key === "a" ? "" : `${this.key}:`;
    this.names = this.data.sliders.map((s) => s.name);
    this.rows = [...root.querySelectorAll("tr[data-layer]")];
    this.total = root.querySelector(".total");
    this.error = root.querySelector(".error");
    this.against = root.querySelector("select.against");
    for (const s of this.data.sliders) {
      const option = document.createElement("option");
      option.value = s.name;
      option.textContent = s.name;
      this.against.append(option);
    }
    this.against.value = this.pickAgainst();
    this.against.addEventListener("change", () => this.draw());
    // A symbol in a formula and its slider light up together.
    for (const mi of root.querySelectorAll("mi[data-symbol]")) {
      mi.addEventListener("mouseenter", () => this.highlight(mi.dataset.symbol));
      mi.addEventListener("mouseleave", () => this.highlight(null));
    }
    for (const label of root.querySelectorAll("label.symbol")) {
      const name = label.dataset.symbol;
      const range = label.querySelector("input[type=range]");
      const box = label.querySelector("input[type=number]");
      range.addEventListener("input", () => { box.value = range.value; this.changed(); });
      box.addEventListener("input", () => { range.value = box.value; this.changed(); });
      label.addEventListener("mouseenter", () => this.highlight(name));
      label.addEventListener("mouseleave", () => this.highlight(null));
      label.addEventListener("focusin", () => this.highlight(name));
      label.addEventListener("focusout", () => this.highlight(null));
    }
  }

  pickAgainst() {  // the symbol the chosen cost depends on most: the first of the widths
    const preferred = ["d", "w", "f", "H", "L"];
    return preferred.find((n) => this.names.includes(n)) || this.names[0];
  }

  box(name) { return this.root.querySelector(`input[data-box="${CSS.escape(this.prefix + name)}"]`); }

  // The point the inputs hold: BigInts, or the error line for a box that holds no integer.
  point() {
    const x = [];
    for (const name of this.names) {
      const text = this.box(name).value.trim();
      if (!/^-?\d+$/.test(text)) return { error: `${name} must be an integer. Received: ${name}=${text}` };
      x.push(BigInt(text));
    }
    return { x };
  }

  // Everything at point x for one cost: {total, rows} or {error}, never a wrong number.
  evaluate(x, cost) {
    const rules = this.engine.rules;
    for (let i = 0; i < rules.length; i++) {
      const [kind, exprs, quoted] = rules[i];
      let ok = false;
      try { ok = HOLDS[kind](exprs(x)); } catch (e) { ok = false; }
      if (!ok) return { error: this.message(i, quoted, x) };
    }
    try {
      for (const size of this.engine.sizes(x)) {
        if (!(whole(size) && size >= 1n)) return { error: `a size is not a positive integer: ${shown(size)}` };
      }
      const values = this.engine.costs[cost](x);
      for (const v of values) {
        if (!whole(v)) return { error: `the count is not a whole number: ${shown(v)}` };
      }
      return { total: values[0], rows: values.slice(1) };
    } catch (e) {
      return { error: `no count at this point: ${e.message}` };
    }
  }

  message(i, quoted, x) {
    const pieces = this.data.said[i];
    if (!pieces) return "the model refuses these values";
    return pieces.map((p) => {
      if (typeof p === "string") return p;
      try { return shown(quoted[p](x)); } catch (e) { return "?"; }
    }).join("");
  }

  costOf(name) { return this.data.costs.find((c) => c.name === name); }

  changed() { this.update(); schedule(); }

  update() {
    const cost = currentCost();
    const info = this.costOf(cost);
    for (const el of this.root.querySelectorAll(".f[data-cost]")) el.hidden = el.dataset.cost !== cost;
    this.root.querySelector(".totalline .label").textContent = `${info.label}:`;
    const at = this.point();
    const result = at.error ? at : this.evaluate(at.x, cost);
    this.result = result;
    this.x = at.x;
    if (result.error) {
      this.error.textContent = result.error;
      this.total.dataset.value = "";
      this.total.textContent = "—";
      this.root.querySelector(".totalline .human").textContent = "";
      for (const row of this.rows) {
        row.dataset.value = "";
        row.querySelector(".count").textContent = "";
        row.querySelector(".fill").style.width = "0";
        row.querySelector(".pct").textContent = "";
      }
      this.root.querySelector(".words").replaceChildren();
      this.root.querySelector(".sum").textContent = "";
      return;
    }
    this.error.textContent = "";
    const { total, rows } = result;
    this.total.dataset.value = String(total);
    this.total.textContent = sep(total);
    const rough = human(total, info.unit);
    this.root.querySelector(".totalline .human").textContent = rough ? `(${rough})` : "";
    rows.forEach((v, i) => {
      const row = this.rows[i];
      row.dataset.value = String(v);
      row.querySelector(".count").textContent = sep(v);
      const pct = total > 0n ? Number((v * 100000n) / total) / 1000 : 0;
      row.querySelector(".fill").style.width = `${(Math.max(0, Math.min(100, pct)) * 1.2).toFixed(1)}px`;
      row.querySelector(".pct").textContent = `${pct.toFixed(1)}%`;
    });
    this.explain(at.x, cost, info, total, rows);
  }

  explain(x, cost, info, total, rows) {
    const list = this.root.querySelector(".words");
    const items = [];
    let shapes = null;
    if (cost === "params") {
      try { shapes = this.engine.shapes(x); } catch (e) { shapes = null; }
    }
    const notes = { non_trainable: ", non-trainable", buffer: ", a buffer, not counted", tied: ", tied, counted where it is defined" };
    this.data.rows.forEach((row, i) => {
      let words;
      if (shapes && !row.repeated && row.weights.length) {
        words = row.weights.map((w, j) => {
          const dims = shapes[i][j];
          const size = dims.reduce((a, b) => a * b, 1n);
          return `${w.name} ${dims.length ? dims.join("x") : "scalar"} (${sep(size)}${notes[w.kind] || ""})`;
        }).join(" + ") + ` = ${sep(rows[i])}`;
      } else if (shapes && !row.repeated) {
        words = "0, it has no weights";
      } else {
        const formula = info.rows[i];
        words = formula === String(rows[i]) ? sep(rows[i]) : `${formula} = ${sep(rows[i])}`;
      }
      const item = document.createElement("li");
      const name = document.createElement("b");
      name.textContent = row.name;
      item.append(name, `: ${words}`);
      items.push(item);
    });
    list.replaceChildren(...items);
    const sum = rows.map((v) => sep(v)).join(" + ");
    this.root.querySelector(".sum").textContent = `${sum} = ${sep(total)}`;
  }

  highlight(name) {
    for (const el of this.root.querySelectorAll(".hl")) el.classList.remove("hl");
    if (name === null) return;
    for (const el of this.root.querySelectorAll(`[data-symbol="${CSS.escape(name)}"]`)) el.classList.add("hl");
  }

  // The chosen cost against one symbol over its range: the total and the largest layers.
  draw() {
    const box = this.root.querySelector(".plot");
    const cost = currentCost();
    const name = this.against.value;
    const index = this.names.indexOf(name);
    const slider = this.data.sliders[index];
    if (!this.x || index < 0) { box.replaceChildren(); return; }
    const count = Math.floor((slider.high - slider.low) / slider.step) + 1;
    const stride = Math.max(1, Math.ceil(count / 32)) * slider.step;
    const xs = [];
    for (let v = slider.low; v <= slider.high; v += stride) xs.push(v);
    const current = Number(this.x[index]);
    if (!xs.includes(current) && current >= slider.low && current <= slider.high) xs.push(current);
    xs.sort((a, b) => a - b);
    const points = xs.map((v) => {
      const x = this.x.slice();
      x[index] = BigInt(v);
      return [v, this.evaluate(x, cost)];
    });
    const here = this.result && !this.result.error ? this.result.rows : null;
    const largest = here
      ? here.map((v, i) => [v, i]).sort((a, b) => (b[0] > a[0] ? 1 : b[0] < a[0] ? -1 : 0)).slice(0, 3).map((p) => p[1])
      : [];
    const series = [{ label: "total", pick: (r) => r.total }].concat(
      largest.map((i) => ({ label: this.data.rows[i].name, pick: (r) => r.rows[i] })),
    );
    box.replaceChildren(plotSvg(points, series, current, name, this.costOf(cost)));
  }
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function plotSvg(points, series, current, name, info) {
  const W = 560, H = 260, L = 70, R = 150, T = 12, B = 34;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" });
  const good = points.filter(([, r]) => !r.error);
  if (!good.length) {
    root.append(svg("text", { x: L, y: H / 2 }, "no valid point in this range"));
    return root;
  }
  const x0 = points[0][0], x1 = Math.max(points[points.length - 1][0], x0 + 1);
  let top = 0;
  for (const [, r] of good) top = Math.max(top, Number(r.total));
  top = top || 1;
  const sx = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const sy = (v) => T + (1 - Number(v) / top) * (H - T - B);
  root.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
  root.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  root.append(svg("text", { x: L - 6, y: T + 4, "text-anchor": "end", class: "tick" }, human(BigInt(Math.round(top)), info.unit) || sep(BigInt(Math.round(top)))));
  root.append(svg("text", { x: L - 6, y: H - B, "text-anchor": "end", class: "tick" }, "0"));
  root.append(svg("text", { x: L, y: H - B + 16, "text-anchor": "middle", class: "tick" }, String(x0)));
  root.append(svg("text", { x: W - R, y: H - B + 16, "text-anchor": "middle", class: "tick" }, String(x1)));
  root.append(svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", class: "axislabel" }, name));
  series.forEach((s, k) => {
    let path = "";
    let pen = false;
    for (const [v, r] of points) {
      if (r.error) { pen = false; continue; }
      path += `${pen ? "L" : "M"}${sx(v).toFixed(1)},${sy(s.pick(r)).toFixed(1)}`;
      pen = true;
    }
    root.append(svg("path", { d: path, class: `series s${k}` }));
    root.append(svg("text", { x: W - R + 8, y: T + 14 + 16 * k, class: `legend s${k}` }, s.label));
  });
  const mark = sx(current);
  root.append(svg("line", { x1: mark, y1: T, x2: mark, y2: H - B, class: "current" }));
  root.append(svg("text", { x: mark, y: T + 10, "text-anchor": "middle", class: "tick" }, `${name}=${current}`));
  return root;
}

function currentCost() { return document.querySelector('select[name="cost"]').value; }

const EXPLORERS = SYMCOUNT_MODELS.map((m) => new Explorer(document.querySelector(`section.model[data-model="${m.key}"]`), m.engine));
let pending = false;
// The plots and the ratio follow the numbers a frame later: a slider move recomputes the counts
// at once and the plots (dozens of points each) once per frame.
function schedule() {
  ratio();
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; for (const e of EXPLORERS) e.draw(); });
}
function ratio() {
  const out = document.getElementById("ratio");
  if (!out || EXPLORERS.length < 2) return;
  const [a, b] = EXPLORERS.map((e) => e.result);
  if (!a || !b || a.error || b.error || b.total === 0n) { out.textContent = "—"; return; }
  out.textContent = `${(Number((a.total * 1000000n) / b.total) / 1e6).toPrecision(6)} (${sep(a.total)} / ${sep(b.total)})`;
}
function updateAll() { for (const e of EXPLORERS) e.update(); schedule(); }
document.querySelector('select[name="cost"]').addEventListener("change", updateAll);
updateAll();
// For tests and scripts: the counts at many points at once, without touching the inputs.
window.symcount = {
  explorers: EXPLORERS,
  evaluate(key, cost, points) {
    const e = EXPLORERS.find((m) => m.key === key);
    return points.map((p) => {
      const r = e.evaluate(e.names.map((n) => BigInt(p[n])), cost);
      return r.error ? { error: r.error } : { total: String(r.total), rows: r.rows.map(String) };
    });
  },
  update: updateAll,
};
