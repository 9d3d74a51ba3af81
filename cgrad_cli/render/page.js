// cgrad graph page: lays out the figure (layered, left to right), steps the two passes, fills the panel.
// Every text shown comes from the data cgrad wrote; nothing here computes a derivative.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("cgrad-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("graph");
  const N = D.nodes.length, E = D.edges;
  const $ = (id) => document.getElementById(id);
  const LINE = 17, PADX = 10, PADY = 7;  // a node's text lines
  const SLICE = 300;  // a figure of more nodes is drawn in view first, then this many elements at a time
  // Read what the page needs from layout and style before the figure exists: once it does, each such
  // read would make the browser style and lay out thousands of SVG elements first.
  const figureWidth = $("figure").clientWidth, family = getComputedStyle(svg).fontFamily;
  const viewHeight = window.innerHeight;

  function el(tag, attrs, parent, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  $("program").textContent = D.program;
  $("summary").textContent = D.result + (D.at ? "  at  " + D.at : "");
  $("legend").textContent = D.legend + " · ← → step the passes, Tab visits the nodes";

  // --- who uses whom ----------------------------------------------------------------------------------
  const ins = D.nodes.map(() => []), outs = D.nodes.map(() => []);
  E.forEach((e, k) => { ins[e.to].push(k); outs[e.from].push(k); });

  // --- the figure is measured and laid out from the data, then written as one piece of markup (below) ----
  function longest(n) {  // the widest the gradient line gets: while it accumulates, `2 + 3 = 5`
    return n.parts && n.parts.length > 1 ? n.gradName + " = " + n.parts.join(" + ") + " = " + n.gradValue : n.grad;
  }
  const defs = el("defs", {}, null);
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: "userSpaceOnUse",
    orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#555" }, marker);
  svg.insertBefore(defs, svg.firstChild);

  // text is measured on a canvas, in the figure's font (asking the SVG would lay out thousands of texts),
  // one character at a time: a text's width is the sum of its characters' (kerning only narrows it), so
  // a page measures its hundred or so distinct characters, not its thousands of texts
  const ctx = document.createElement("canvas").getContext("2d");
  function font(f) {  // one font at a time
    ctx.font = f + " " + family;
    const known = new Map();
    return (text) => {
      let w = 0;
      for (const ch of text) {
        let x = known.get(ch);
        if (x === undefined) { x = ctx.measureText(ch).width; known.set(ch, x); }
        w += x;
      }
      return w;
    };
  }
  let m = font("bold 13px");
  const bold = D.nodes.map((n) => m(n.name));
  m = font("13px");
  const size = D.nodes.map((n, i) => {
    const w = Math.max(bold[i] + m(n.rest), m(n.value), m(n.op), n.grad ? m(longest(n)) : 0);
    return { w: Math.ceil(w) + 2 * PADX + 2, h: (n.grad ? 3 : 2) * LINE + 2 * PADY };
  });
  m = font("bold 12px");  // room for the label in bold (on a path, or the current step)
  const lsize = E.map((e) => e.label === null ? null : { w: Math.ceil(m(e.label)) + 10, h: 18 });

  // --- layered layout: ranks, a virtual node per rank an edge crosses, barycentre ordering ----------
  const layer = new Array(N).fill(0);
  for (let i = 0; i < N; i++) for (const k of ins[i]) layer[i] = Math.max(layer[i], layer[E[k].from] + 1);
  for (let i = N - 1; i >= 0; i--) {  // an input or a constant sits just before its first user (W2 by its @)
    if (ins[i].length === 0 && outs[i].length) {
      layer[i] = Math.min(...outs[i].map((k) => layer[E[k].to])) - 1;
    }
  }
  const LONG = 8;  // an edge over more ranks than this gets no virtual nodes but its label's
  const items = [];  // {w, h, rank, pred: [], succ: [], node?: i, label?: k}
  const ranks = [];
  function item(it) { items.push(it); (ranks[it.rank] = ranks[it.rank] || []).push(it); it.pred = []; it.succ = []; return it; }
  const nodeItem = D.nodes.map((n, i) => item({ w: size[i].w, h: size[i].h, rank: 2 * layer[i], node: i }));
  const chain = E.map((e, k) => {
    const a = nodeItem[e.from], b = nodeItem[e.to];
    const pts = [];
    const top = b.rank - 1, span = (b.rank - a.rank) / 2;
    for (let r = span > LONG ? top : a.rank + 1; r <= top; r++) {
      const lab = r === top && lsize[k];
      pts.push(item({ w: lab ? lsize[k].w : 2, h: lab ? lsize[k].h : 6, rank: r, label: r === top ? k : undefined }));
    }
    let prev = a;
    for (const p of pts.concat([b])) { prev.succ.push(p); p.pred.push(prev); prev = p; }
    return pts;
  });
  for (let r = 0; r < ranks.length; r++) ranks[r] = ranks[r] || [];
  ranks.forEach((rk) => rk.forEach((it, k) => { it.pos = k; }));
  const mean = (xs, f) => xs.reduce((s, x) => s + f(x), 0) / xs.length;
  const big = items.length > 2000;  // a big graph gets fewer refining passes: interactive within a second
  for (let sweep = 0; sweep < (big ? 4 : 8); sweep++) {
    const down = sweep % 2 === 0;
    for (let s = 1; s < ranks.length; s++) {
      const rk = ranks[down ? s : ranks.length - 1 - s];
      for (const it of rk) {
        const nb = down ? it.pred : it.succ;
        it.bary = nb.length ? mean(nb, (x) => x.pos) : it.pos;
      }
      rk.sort((p, q) => p.bary - q.bary || p.pos - q.pos);
      rk.forEach((it, k) => { it.pos = k; });
    }
  }
  // y: each rank packed, then pulled towards its neighbours' centres, overlaps pushed apart
  const GAP = 16;
  function pack(rk) {
    let y = 0;
    for (const it of rk) { it.y = y + it.h / 2; y += it.h + GAP; }
  }
  ranks.forEach(pack);
  function place(rk, want) {
    const n = rk.length, fw = new Array(n), bw = new Array(n);
    for (let k = 0; k < n; k++) {
      const lo = k ? fw[k - 1] + (rk[k - 1].h + rk[k].h) / 2 + GAP : -Infinity;
      fw[k] = Math.max(want[k], lo);
    }
    for (let k = n - 1; k >= 0; k--) {
      const hi = k < n - 1 ? bw[k + 1] - (rk[k + 1].h + rk[k].h) / 2 - GAP : Infinity;
      bw[k] = Math.min(want[k], hi);
    }
    const mid = rk.map((_, k) => (fw[k] + bw[k]) / 2);
    for (let k = 0; k < n; k++) {  // the average can overlap again: one more forward push settles it
      const lo = k ? rk[k - 1].y + (rk[k - 1].h + rk[k].h) / 2 + GAP : -Infinity;
      rk[k].y = Math.max(mid[k], lo);
    }
  }
  for (let pass = 0; pass < (big ? 6 : 12); pass++) {
    const down = pass % 2 === 0;
    for (let s = 0; s < ranks.length; s++) {
      const rk = ranks[down ? s : ranks.length - 1 - s];
      const want = rk.map((it) => {
        const nb = (down ? it.pred : it.succ).length ? (down ? it.pred : it.succ) : it.pred.concat(it.succ);
        return nb.length ? mean(nb, (x) => x.y) : it.y;
      });
      place(rk, want);
    }
  }
  // x: ranks side by side
  let x = 0;
  const rankX = ranks.map((rk) => {
    const w = rk.reduce((m, it) => Math.max(m, it.w), 0);
    const cx = x + w / 2;
    x += w + (rk.some((it) => it.node !== undefined) ? 26 : 14);
    return cx;
  });
  items.forEach((it) => { it.x = rankX[it.rank]; });
  const M = 16;
  const minY = Math.min(...items.map((it) => it.y - it.h / 2)), maxY = Math.max(...items.map((it) => it.y + it.h / 2));
  items.forEach((it) => { it.y += M - minY; it.x += M; });
  const W = Math.ceil(x + 2 * M), H = Math.ceil(maxY - minY + 2 * M);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);

  // --- draw at the positions: the figure's markup, parsed once (thousands of createElement and
  //     setAttribute calls cost more than the browser's parser reading the same elements) ----------------
  // A big figure is drawn in view first: the page is interactive after one frame with what can be seen
  // (from the top left, as it opens), and the rest is shown in slices while the browser is idle.
  const fitted = figureWidth >= 0.55 * W, scale = fitted ? Math.min(figureWidth, 1.75 * W) / W : 1;
  const reachX = 1.5 * figureWidth / scale, reachY = 1.5 * viewHeight / scale;
  const inView = (it) => N <= SLICE || (it.x - it.w / 2 < reachX && it.y - it.h / 2 < reachY);
  const later = nodeItem.map((it) => !inView(it));
  const edgeLater = E.map((e) => later[e.from] && later[e.to]);
  const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const nodeMarkup = D.nodes.map((n, i) => {
    const it = nodeItem[i];
    return `<g class="node ${n.kind}${n.wrt ? " wrt" : ""}" tabindex="0" role="button" data-node="${i}" ` +
      `aria-label="${esc([n.name + n.rest, n.value, n.grad || ""].join(", "))}" ` +
      `transform="translate(${(it.x - it.w / 2).toFixed(1)},${(it.y - it.h / 2).toFixed(1)})">` +
      `<rect rx="${n.kind === "input" ? 16 : 6}" width="${it.w}" height="${it.h}"></rect>` +
      `<text class="title" x="${PADX}" y="${PADY + 13}">` + (n.name ? `<tspan font-weight="bold">${esc(n.name)}</tspan>` : "") +
      (n.rest ? `<tspan>${esc(n.rest)}</tspan>` : "") + "</text>" +
      `<text class="value" x="${PADX}" y="${PADY + LINE + 13}">${esc(n.value)}</text>` +
      (n.grad ? `<text class="gradline" x="${PADX}" y="${PADY + 2 * LINE + 13}"></text>` : "") + "</g>";
  });
  const edgeMarkup = [], labelMarkup = [];
  // ports: the edges into (out of) a node spread over its height, in the order of their other ends
  function ports(list, other, it) {
    const order = list.slice().sort((p, q) => other(p).y - other(q).y);
    const m = new Map();
    order.forEach((k, j) => m.set(k, it.y - it.h / 2 + (j + 1) * it.h / (order.length + 1)));
    return m;
  }
  const inPort = nodeItem.map((it, i) => ports(ins[i], (k) => (chain[k].length ? chain[k][chain[k].length - 1] : nodeItem[E[k].from]), it));
  const outPort = nodeItem.map((it, i) => ports(outs[i], (k) => (chain[k].length ? chain[k][0] : nodeItem[E[k].to]), it));
  E.forEach((e, k) => {
    const a = nodeItem[e.from], b = nodeItem[e.to];
    const pts = [[a.x + a.w / 2, outPort[e.from].get(k)]];
    let gap = -1;  // the edge stops at its label's left and goes on from its right
    for (const p of chain[k]) {
      if (p.label !== undefined && lsize[k]) { pts.push([p.x - p.w / 2, p.y], [p.x + p.w / 2, p.y]); gap = pts.length - 1; }
      else pts.push([p.x, p.y]);
    }
    pts.push([b.x - b.w / 2 - 1, inPort[e.to].get(k)]);
    const f = (p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    let d = "M" + f(pts[0]);
    for (let j = 1; j < pts.length; j++) {
      const [x0, y0] = pts[j - 1], [x1, y1] = pts[j], dx = (x1 - x0) / 2;
      d += j === gap ? " M" + f(pts[j]) : ` C${f([x0 + dx, y0])} ${f([x1 - dx, y1])} ${f(pts[j])}`;
    }
    edgeMarkup.push(`<path class="edge${e.label === null ? " const" : ""}" marker-end="url(#arrow)" d="${d}"></path>`);
    if (e.label !== null) {  // one element: a halo, not a box
      const p = chain[k][chain[k].length - 1];
      labelMarkup.push(`<text class="elabel" x="${(p.x - p.w / 2 + 5).toFixed(1)}" y="${(p.y + 4).toFixed(1)}">${esc(e.label)}</text>`);
    }
  });
  const figure = el("g", {}, null);  // off the document until it is complete: styled, laid out, painted once
  figure.innerHTML = `<g class="edges">${edgeMarkup.join("")}</g><g class="labels">${labelMarkup.join("")}</g>` +
    `<g class="nodes">${nodeMarkup.join("")}</g>`;
  const [edgeLayer, labelLayer, nodeLayer] = figure.children;
  const edgeEls = Array.from(edgeLayer.children);
  const labelList = labelLayer.children;
  let nextLabel = 0;
  const labelEls = E.map((e) => (e.label === null ? null : { g: labelList[nextLabel++] }));
  const nodeEls = Array.from(nodeLayer.children, (g) => {
    const texts = g.getElementsByTagName("text");
    return { g, rect: g.firstChild, title: texts[0], value: texts[1], grad: texts[2] || null };
  });

  // --- zoom: fit to the window, or full size ----------------------------------------------------------
  const fit = $("fit");
  function applyFit() {
    const on = fit.getAttribute("aria-pressed") === "true";
    svg.style.width = on ? "calc(100% - 1rem)" : W + "px";
    svg.style.maxWidth = on ? Math.round(1.75 * W) + "px" : "none";  // a small graph grows to be read
    svg.style.height = "auto";
  }
  fit.addEventListener("click", () => { fit.setAttribute("aria-pressed", fit.getAttribute("aria-pressed") !== "true"); applyFit(); });
  if (!fitted) fit.setAttribute("aria-pressed", "false");  // too small to read fitted
  applyFit();

  // --- stepping: 0 = nothing computed; then the forward pass node by node; then the seed ∂e/∂e = 1;
  //     then the backward pass edge by edge --------------------------------------------------------------
  const F = N, B = D.differentiated ? D.backward.length + 1 : 0, END = F + B;
  let step = END;
  function write(e, text) {  // a step changes a few texts: the others are left alone, not rewritten
    if (e.textContent !== text) e.textContent = text;
  }
  function render() {
    const received = new Array(N).fill(0);
    const back = step - F - 1;  // backward edges done: D.backward[0 .. back-1]
    for (let j = 0; j < back; j++) received[E[D.backward[j]].from]++;
    const currentEdge = back >= 1 && step > F + 1 ? D.backward[back - 1] : -1;
    D.nodes.forEach((n, i) => {
      const ne = nodeEls[i], done = step > i;
      ne.g.classList.toggle("pending", !done);
      ne.g.classList.toggle("current", step <= F ? step === i + 1 : currentEdge >= 0 && E[currentEdge].from === i);
      write(ne.value, done ? n.value : n.op);
      if (ne.grad) write(ne.grad, gradShown(n, i, received[i]));
    });
    E.forEach((e, k) => {
      const le = labelEls[k];
      if (le) { le.g.classList.toggle("pending", step <= e.to); le.g.classList.toggle("current", k === currentEdge); }
      edgeEls[k].classList.toggle("current", k === currentEdge || (step <= F && step === e.to + 1));
    });
    $("status").textContent = statusText(currentEdge);
    $("first").disabled = $("prev").disabled = step === 0;
    $("last").disabled = $("next").disabled = step === END;
  }
  function gradShown(n, i, got) {
    if (step <= F) return "";
    if (i === D.output) return n.grad;
    const uses = flowCount[i];
    if (uses === 0) return n.grad;  // nothing flows back along its edges (an index): 0 from the start
    if (got === 0) return "";
    if (got >= uses) return n.parts && n.parts.length > 1 ? n.gradName + " = " + n.parts.join(" + ") + " = " + n.gradValue : n.grad;
    if (n.parts) return n.gradName + " = " + n.parts.slice(0, got).join(" + ") + " + …";
    return n.gradName + ": " + got + " of " + uses + " contributions";
  }
  const flowCount = new Array(N).fill(0);
  D.backward.forEach((k) => { flowCount[E[k].from]++; });
  function name(i) { const n = D.nodes[i]; return n.name || n.rest; }
  function statusText(currentEdge) {
    if (step === 0) return "Before the forward pass: press → (or ▶) to compute the nodes one by one.";
    if (step <= F) {
      const n = D.nodes[step - 1];
      return `forward ${step} of ${F}: ${n.name}${n.rest} → ${n.value}`;
    }
    const total = B - 1;
    if (step === F + 1) return `backward: seed ${D.nodes[D.output].grad}, then → sends it back edge by edge (${total} edges)`;
    const e = E[currentEdge], to = D.nodes[e.from];
    const j = D.backward.slice(0, step - F - 1).filter((k) => E[k].from === e.from).length;
    const share = to.shares ? to.shares[j - 1] : `${D.nodes[e.to].gradName} through ${e.label}`;
    const end = step === END ? "  (done: every gradient is in)" : "";
    return `backward ${step - F - 1} of ${total}: ${share}, into ${to.gradName || name(e.from)}${end}`;
  }
  function go(s) { step = Math.max(0, Math.min(END, s)); render(); }
  $("first").addEventListener("click", () => go(0));
  $("prev").addEventListener("click", () => go(step - 1));
  $("next").addEventListener("click", () => go(step + 1));
  $("last").addEventListener("click", () => go(END));
  document.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || (ev.target && ev.target.tagName === "SELECT")) return;
    const k = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
    if (k) { go(step + k); ev.preventDefault(); }
    else if (ev.key === "Home") { go(0); ev.preventDefault(); }
    else if (ev.key === "End") { go(END); ev.preventDefault(); }
    else if (ev.key === "Escape") { select(-1); }
    else if ((ev.key === "Enter" || ev.key === " ") && ev.target.dataset && ev.target.dataset.node !== undefined) {
      select(+ev.target.dataset.node); ev.preventDefault();
    }
  });
  window.addEventListener("beforeprint", () => { reveal(Infinity); go(END); });

  // --- the panel ------------------------------------------------------------------------------------
  const panel = $("panel");
  let selected = -1;
  function gridEl(v, caption) {
    if (typeof v === "string") return h("p", { class: "mono" }, v);
    const t = h("table", { class: "grid" });
    t.appendChild(h("caption", {}, caption + ": " + v.shape + (v.cut ? " (the first rows and columns)" : "")));
    const head = h("tr");
    head.appendChild(h("th"));
    v.columns.forEach((c) => head.appendChild(h("th", { scope: "col" }, c)));
    t.appendChild(head);
    v.rows.forEach((r) => {
      const tr = h("tr");
      tr.appendChild(h("th", { scope: "row" }, r[0]));
      r.slice(1).forEach((c) => tr.appendChild(h("td", {}, c)));
      t.appendChild(tr);
    });
    return t;
  }
  function section(title) { panel.appendChild(h("h3", {}, title)); }
  function list(items) {
    const ul = h("ul");
    items.forEach((it) => { const li = h("li"); li.append(...it); ul.appendChild(li); });
    panel.appendChild(ul);
  }
  function span(cls, text) { return h("span", { class: cls }, text); }
  function eq(tag, text) {  // an equation that wraps between factors (after ·) and terms, never inside a symbol
    const e = h(tag, { class: "eq" });
    text.split("·").forEach((part, k) => { if (k) e.append("·", h("wbr")); e.append(part); });
    return e;
  }
  function highlight(edgeSet) {
    E.forEach((e, k) => {
      const on = edgeSet.has(k);
      edgeEls[k].classList.toggle("onpath", on);
      if (labelEls[k]) labelEls[k].g.classList.toggle("onpath", on);
    });
  }
  function select(i) {
    if (selected >= 0) nodeEls[selected].g.classList.remove("selected");
    selected = i;
    panel.textContent = "";
    const inputIndex = D.inputs.indexOf(i);
    $("paths").value = inputIndex >= 0 ? String(i) : "";
    if (i < 0) { highlight(new Set()); intro(); return; }
    nodeEls[i].g.classList.add("selected");
    const n = D.nodes[i];
    panel.appendChild(h("h2", {}, (n.name || "") + (n.rest || "")));
    panel.appendChild(h("p", { class: "muted" }, `${n.op} · ${n.kind === "const" ? "does not depend on an input" : n.kind}`));
    section("value");
    panel.appendChild(gridEl(n.full, n.name || "value"));
    if (n.gradFull !== undefined) {
      section("gradient " + n.gradName);
      const g = gridEl(n.gradFull, n.gradName);
      g.classList.add("grad");
      panel.appendChild(g);
    }
    if (ins[i].length) {
      section("arguments: local derivative ∂" + (n.name || "node") + "/∂argument");
      list(ins[i].map((k) => [h("b", {}, name(E[k].from)), ": ", span("local", E[k].label === null ? "a constant: no derivative" : E[k].label)]
        .concat(E[k].structure ? [h("br"), span("muted", "Jacobian: " + E[k].structure)] : [])));
    }
    if (outs[i].length) {
      section("used by: the edges its gradient comes back along");
      list(outs[i].map((k) => [h("b", {}, name(E[k].to)), ": ", span("local", E[k].label === null ? "no derivative" : E[k].label)]
        .concat(E[k].structure ? [h("br"), span("muted", "Jacobian: " + E[k].structure)] : [])));
    }
    if (n.step) {
      section("one backward step: the sum over its users");
      panel.appendChild(eq("p", n.step));
    }
    let all = new Set();
    if (n.working) {
      const w = n.working;
      section("chain rule: every path from the output");
      if (w.equation) panel.appendChild(eq("p", w.equation));
      if (w.note) panel.appendChild(h("p", { class: "muted" }, w.note));
      const ul = h("ul");
      w.paths.forEach((p, j) => {
        p.edges.forEach((k) => all.add(k));
        const li = h("li");
        const b = h("button", { type: "button", class: "path" });
        b.append(span("muted", `path ${j + 1}  `), p.path, h("br"), eq("span", p.text));
        const only = new Set(p.edges);
        b.addEventListener("mouseenter", () => highlight(only));
        b.addEventListener("focus", () => highlight(only));
        b.addEventListener("mouseleave", () => highlight(all));
        b.addEventListener("blur", () => highlight(all));
        li.appendChild(b);
        ul.appendChild(li);
      });
      panel.appendChild(ul);
      if (w.paths.length > 1) panel.appendChild(h("p", { class: "eq" }, `sum over the ${w.paths.length} paths: ${n.grad}`));
      if (D.where.length) { section("where"); list(D.where.map((x) => [span("eq", x)])); }
    } else if (n.grad && !n.step && i !== D.output) {
      panel.appendChild(h("p", { class: "muted" }, "Each edge into a tensor op carries a Jacobian (its shape and structure above); backprop applies it as a vector-Jacobian product. cgrad explain writes the chain for each input."));
    }
    highlight(all);
  }
  function intro() {
    panel.appendChild(h("h2", {}, "Pick a node"));
    panel.appendChild(h("p", {}, "Click a node, or Tab to it, to see its value, its gradient, the local derivative on each edge and the chain rule. Pick an input under “Paths to” to light up every path from the output."));
  }
  D.inputs.forEach((i) => $("paths").appendChild(h("option", { value: String(i) }, name(i))));
  if (!D.inputs.length) $("paths-label").hidden = true;
  $("paths").addEventListener("change", (ev) => select(ev.target.value === "" ? -1 : +ev.target.value));
  nodeEls.forEach((ne, i) => {
    ne.g.addEventListener("click", () => select(i));
    ne.g.addEventListener("focus", () => select(i));
  });
  intro();
  render();
  // What is left of a big figure is put in a slice at a time after the first frame: each node not yet
  // shown (back in its place among the nodes: the Tab order is the tape's), then the edges into it with
  // their labels, in tape order (left to right, as the passes go).  Until then they are kept out of the
  // document, where styling and laying them out would cost as much as drawing them.
  const nextShown = new Array(N).fill(null);  // the first node after i drawn from the start
  for (let i = N - 2; i >= 0; i--) nextShown[i] = later[i + 1] ? nextShown[i + 1] : nodeEls[i + 1].g;
  const slices = [];  // [element, its layer, the element it goes back in before (null: at the end)]
  for (let i = 0; i < N; i++) {
    if (!later[i]) continue;
    slices.push([nodeEls[i].g, nodeLayer, nextShown[i]]);
    for (const k of ins[i]) {
      if (!edgeLater[k]) continue;
      slices.push([edgeEls[k], edgeLayer, null]);
      if (labelEls[k]) slices.push([labelEls[k].g, labelLayer, null]);
    }
  }
  for (const [e] of slices) e.remove();
  svg.appendChild(figure);  // the figure in view in one write: styled, laid out and painted once
  let shown = 0;
  function reveal(count) {
    const end = Math.min(slices.length, shown + count);
    for (; shown < end; shown++) slices[shown][1].insertBefore(slices[shown][0], slices[shown][2]);
    if (shown === slices.length) {
      if (!document.body.dataset.drawn) document.body.dataset.drawn = performance.now().toFixed(0);
      return;
    }
    setTimeout(() => reveal(SLICE));
  }
  // ready: the first frame after the figure is drawn (in view), in ms since the page began to load; drawn:
  // when the whole figure is
  requestAnimationFrame(() => setTimeout(() => { document.body.dataset.ready = performance.now().toFixed(0); reveal(SLICE); }));
})();
