// The report's only behaviour, with DOM methods and `textContent` only (never markup from
// data): proof trees from the data block, the claims filter, and the network's relation
// filter, actor search, highlight, edge labels and label placement.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("stance-data").textContent);
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function show(v) { return typeof v === "string" ? JSON.stringify(v) : String(v); }

  // A proof as a nested list: a derived step is collapsible (its rule, bindings and
  // premises inside), a stated fact shows where it is written and its quote as a block quote.
  // A node's grade (its best proof's, when the data has grades), as a badge.
  function gradeBadge(n) {
    if (n.grade === undefined) return null;
    var text = n.grade === "none" ? "no grade" : "grade " + n.grade;
    if (n.confidence !== undefined) text += ", confidence " + (n.confidence === null ? "none" : n.confidence);
    return el("span", "grade", text);
  }
  function withGrade(node, n) {
    var badge = gradeBadge(n);
    if (badge) { node.appendChild(document.createTextNode(" ")); node.appendChild(badge); }
    return node;
  }
  function proofNode(nodes, id, seen) {
    var n = nodes[id], li = el("li", "pnode " + n.kind);
    if (seen[id]) {
      li.appendChild(el("div", "concl", n.conclusion));
      li.appendChild(el("span", "ref", "(proved above)"));
      return li;
    }
    seen[id] = true;
    if (n.kind === "fact") {
      li.appendChild(withGrade(el("div", "concl", n.conclusion), n));
      var sources = n.sources || [];
      if (!sources.length) li.appendChild(el("div", "src", "given as input"));
      sources.forEach(function (s) {
        li.appendChild(el("div", "src", "stated in " + s.file + ":" + s.line));
        var meta = s.metadata || {}, attribution = [];
        var rank = function (k) { var i = ["source", "date"].indexOf(k.toLowerCase()); return i < 0 ? 2 : i; };
        var quote = null;
        Object.keys(meta).sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0); }).forEach(function (k) {
          if (meta[k] === "") return;
          if (k.toLowerCase() === "quote") quote = meta[k];
          else attribution.push(k + ": " + meta[k]);
        });
        if (quote !== null) li.appendChild(el("blockquote", "quote", "\u201c" + quote + "\u201d"));
        if (attribution.length) li.appendChild(el("div", "src", "\u2014 " + attribution.join(", ")));
      });
      return li;
    }
    var d = el("details");
    d.open = true;
    d.appendChild(withGrade(el("summary", "concl", n.conclusion), n));
    d.appendChild(el("div", "rule", "by " + n.rule.text + "  [" + n.rule.file + ":" + n.rule.line + "]"));
    if (n.rule.display) d.appendChild(el("div", "say", "\u201c" + n.rule.display + "\u201d"));
    var names = Object.keys(n.bindings || {});
    if (names.length) d.appendChild(el("div", "with", "with " + names.map(function (k) { return k + " = " + show(n.bindings[k]); }).join(", ")));
    var ul = el("ul", "proof");
    (n.premises || []).forEach(function (p) { ul.appendChild(proofNode(nodes, p, seen)); });
    (n.conditions || []).forEach(function (c) { ul.appendChild(el("li", "cond", c)); });
    if (ul.childNodes.length) d.appendChild(ul);
    li.appendChild(d);
    return li;
  }
  function proofTree(nodes, root) {
    var ul = el("ul", "proof tree");
    ul.appendChild(proofNode(nodes, root, {}));
    return ul;
  }
  document.querySelectorAll("details[data-proof]").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || d.dataset.built) return;
      d.dataset.built = "1";
      d.appendChild(proofTree(data.nodes, Number(d.dataset.proof)));
    });
  });
  document.querySelectorAll("[data-violation]").forEach(function (box) {
    (data.violations[Number(box.dataset.violation)] || []).forEach(function (p) {
      box.appendChild(proofTree(p.nodes || [], p.root || 0));
    });
  });
  document.querySelectorAll("details[data-verdict]").forEach(function (d) {
    var p = data.verdicts[Number(d.dataset.verdict)];
    if (p) d.appendChild(proofTree(p.nodes || [], p.root || 0));
  });
  var search = document.getElementById("search");
  if (search) search.addEventListener("input", function () {
    var q = search.value.toLowerCase(), shown = 0;
    document.querySelectorAll("#claims tbody tr").forEach(function (tr) {
      var hit = tr.dataset.search.indexOf(q) >= 0;
      tr.hidden = !hit;
      if (hit) shown++;
    });
    document.getElementById("shown").textContent = String(shown);
  });

  var svg = document.getElementById("network");
  if (!svg) return;
  var edges = Array.prototype.slice.call(svg.querySelectorAll(".edge"));
  var labels = Array.prototype.slice.call(svg.querySelectorAll(".elabel"));
  var actors = Array.prototype.slice.call(svg.querySelectorAll(".actor"));
  var pinned = null, hovered = null;

  // Greedy label placement: each shown label (actors' first, then edges' in order) keeps its
  // place when it meets no label placed before it, else moves to the nearest free spot on a
  // spiral around it. A grid of 40-unit cells keeps the search local.
  function place() {
    var texts = actors.map(function (a) { return a.querySelector("text"); });
    texts = texts.concat(labels.filter(function (t) { return getComputedStyle(t).display !== "none"; }));
    var grid = {}, cell = 40;
    function keys(b) {
      var out = [];
      for (var x = Math.floor(b.x / cell); x <= Math.floor((b.x + b.width) / cell); x++)
        for (var y = Math.floor(b.y / cell); y <= Math.floor((b.y + b.height) / cell); y++) out.push(x + "," + y);
      return out;
    }
    function free(b) {
      return keys(b).every(function (k) {
        return !(grid[k] || []).some(function (o) {
          return b.x < o.x + o.width && o.x < b.x + b.width && b.y < o.y + o.height && o.y < b.y + b.height;
        });
      });
    }
    texts.forEach(function (t) {
      t.setAttribute("x", t.dataset.x);
      t.setAttribute("y", t.dataset.y);
      var b = t.getBBox(), pad = 1, best = null;
      var box = { x: b.x - pad, y: b.y - pad, width: b.width + 2 * pad, height: b.height + 2 * pad };
      for (var r = 0; r <= 400 && !best; r += 4) {
        var steps = r === 0 ? 1 : 24;
        for (var i = 0; i < steps && !best; i++) {
          var a = (2 * Math.PI * i) / steps, dx = Math.round(r * Math.cos(a)), dy = Math.round(r * Math.sin(a) * 0.6);
          var moved = { x: box.x + dx, y: box.y + dy, width: box.width, height: box.height };
          if (free(moved)) best = { dx: dx, dy: dy, box: moved };
        }
      }
      if (!best) best = { dx: 0, dy: 0, box: box };
      t.setAttribute("x", String(Number(t.dataset.x) + best.dx));
      t.setAttribute("y", String(Number(t.dataset.y) + best.dy));
      keys(best.box).forEach(function (k) { (grid[k] = grid[k] || []).push(best.box); });
    });
  }

  function highlight() {
    var id = hovered !== null ? hovered : pinned;
    svg.classList.toggle("focus", id !== null);
    var near = {};
    if (id !== null) near[id] = true;
    edges.forEach(function (e, i) {
      var on = id !== null && !e.classList.contains("off") && (e.dataset.a === id || e.dataset.b === id);
      e.classList.toggle("hl", on);
      labels[i].classList.toggle("show", on);
      if (on) { near[e.dataset.a] = true; near[e.dataset.b] = true; }
    });
    actors.forEach(function (a) {
      a.classList.toggle("hl", !!near[a.dataset.id]);
      a.classList.toggle("pinned", a.dataset.id === pinned);
    });
    place();
  }
  actors.forEach(function (a) {
    a.addEventListener("mouseenter", function () { hovered = a.dataset.id; highlight(); });
    a.addEventListener("mouseleave", function () { hovered = null; highlight(); });
    a.addEventListener("click", function () {
      pinned = pinned === a.dataset.id ? null : a.dataset.id;
      highlight();
    });
  });
  edges.forEach(function (e, i) {
    e.addEventListener("mouseenter", function () { labels[i].classList.add("show"); });
    e.addEventListener("mouseleave", function () { if (!e.classList.contains("hl")) labels[i].classList.remove("show"); });
  });
  document.querySelectorAll("input[data-relation-filter]").forEach(function (box) {
    box.addEventListener("change", function () {
      var rel = box.dataset.relationFilter;
      edges.forEach(function (e, i) {
        if (e.dataset.relation !== rel) return;
        e.classList.toggle("off", !box.checked);
        labels[i].classList.toggle("off", !box.checked);
      });
      highlight();
    });
  });
  var all = document.getElementById("all-labels");
  if (all) all.addEventListener("change", function () { svg.classList.toggle("all-labels", all.checked); place(); });
  var find = document.getElementById("actor-search");
  if (find) find.addEventListener("input", function () {
    var q = find.value.trim().toLowerCase(), first = null, count = 0;
    actors.forEach(function (a) {
      var hit = q !== "" && a.dataset.name.toLowerCase().indexOf(q) >= 0;
      a.classList.toggle("match", hit);
      if (hit) { count++; if (first === null) first = a.dataset.id; }
    });
    document.getElementById("actor-matches").textContent = q === "" ? "" : count + " found";
    pinned = first;
    highlight();
  });
  place();
})();
