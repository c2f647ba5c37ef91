// altseason dashboard: fetch the page's JSON and draw findings and charts.
// No inline script anywhere: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  const page = document.body.dataset.page;
  const form = document.getElementById("filters");
  const statusEl = document.getElementById("status");
  const narrativeEl = document.getElementById("narrative");
  const findingsEl = document.getElementById("findings");
  const tablesEl = document.getElementById("tables");
  const chartsEl = document.getElementById("charts");
  const params = new URLSearchParams(window.location.search);
  for (const name of ["asof", "assets", "underlying"]) {
    const el = document.getElementById(name);
    if (el && params.get(name)) el.value = params.get(name);
  }

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (cls) el.className = cls;
    return el;
  }

  function renderNarrative(headline, paragraphs) {
    if (!narrativeEl) return;
    narrativeEl.replaceChildren();
    if (headline) narrativeEl.appendChild(text("p", headline, "headline"));
    for (const p of paragraphs || []) narrativeEl.appendChild(text("p", p));
  }

  function renderTables(tables) {
    if (!tablesEl) return;
    tablesEl.replaceChildren();
    for (const t of tables || []) {
      const table = document.createElement("table");
      table.className = "findings section-table";
      if (t.title) table.appendChild(text("caption", t.title));
      const head = document.createElement("tr");
      for (const h of t.columns || []) head.appendChild(text("th", h));
      table.appendChild(head);
      for (const row of t.rows || []) {
        const tr = document.createElement("tr");
        for (const cell of row) tr.appendChild(text("td", cell));
        table.appendChild(tr);
      }
      tablesEl.appendChild(table);
    }
  }

  function renderFindings(findings) {
    findingsEl.replaceChildren();
    if (!findings || !findings.length) return;
    const table = document.createElement("table");
    table.className = "findings";
    const head = document.createElement("tr");
    for (const h of ["Finding", "Value", "As of", "Window", "Sources"]) head.appendChild(text("th", h));
    table.appendChild(head);
    for (const f of findings) {
      const tr = document.createElement("tr");
      tr.id = "f-" + f.id;
      tr.dataset.finding = f.id;
      tr.appendChild(text("td", f.label || f.id));
      tr.appendChild(text("td", f.available === false ? "not available: " + (f.reason || "") : f.text, f.available === false ? "na" : "value"));
      tr.appendChild(text("td", f.asof || ""));
      tr.appendChild(text("td", f.window || ""));
      const srcs = (f.provenance || []).flatMap((p) => p.sources || []);
      tr.appendChild(text("td", Array.from(new Set(srcs)).join(", ")));
      table.appendChild(tr);
    }
    findingsEl.appendChild(table);
  }

  function renderCharts(charts) {
    chartsEl.replaceChildren();
    const drawn = [];
    for (const c of charts || []) {
      const box = document.createElement("figure");
      box.className = "chart";
      const div = document.createElement("div");
      div.id = "chart-" + c.id;
      div.className = "plot";
      div.dataset.chart = c.id;
      box.appendChild(div);
      if (c.caption) box.appendChild(text("figcaption", c.caption));
      chartsEl.appendChild(box);
      const fig = c.figure || {};
      drawn.push(
        window.Plotly.newPlot(div, fig.data || [], fig.layout || {}, { displaylogo: false, responsive: true })
          .then(() => div.setAttribute("data-rendered", "1"))
      );
    }
    // the page grows while charts are drawn (a scroll bar may appear): fit each to its box
    return Promise.all(drawn).then(() =>
      Promise.all(Array.from(chartsEl.querySelectorAll("div.plot")).map((d) => window.Plotly.Plots.resize(d)))
    );
  }

  async function load() {
    const q = new URLSearchParams();
    for (const name of ["asof", "assets", "underlying"]) {
      const el = document.getElementById(name);
      if (el && el.value) q.set(name, el.value);
    }
    statusEl.textContent = "Loading…";
    statusEl.className = "status";
    try {
      const resp = await fetch("/api/" + encodeURIComponent(page) + "?" + q.toString(), { credentials: "same-origin" });
      const body = await resp.json();
      if (!resp.ok) {
        statusEl.textContent = "Error: " + (body.error || resp.status);
        statusEl.className = "status error";
        return;
      }
      const label = body.label ? " · " + body.label : "";
      statusEl.textContent = (body.asof ? "As of " + body.asof : "") + label;
      if (body.freshness) {
        // asked for a date after the data: say which date is shown
        statusEl.appendChild(text("span", " · Caveat: " + body.freshness.note, "caveat"));
      }
      if (body.underlying) {
        statusEl.appendChild(text("span", " · Underlying: " + body.underlying, "scope"));
      } else if (body.underlying_note) {
        // the selector does not apply here: say what the page covers instead
        statusEl.appendChild(text("span", " · " + body.underlying_note, "scope"));
      }
      statusEl.dataset.asof = body.asof || "";
      const asofEl = document.getElementById("asof");
      if (asofEl) {
        if (body.first_date) asofEl.min = body.first_date;
        if (body.last_date) asofEl.max = body.last_date;
        if (body.asof) asofEl.value = body.asof;
      }
      // a long findings table goes after the charts, a short one (key figures) before
      if ((body.findings || []).length > 12) chartsEl.after(tablesEl, findingsEl);
      else narrativeEl.after(findingsEl, tablesEl, chartsEl);
      renderNarrative(body.headline, body.paragraphs);
      renderFindings(body.findings);
      renderTables(body.tables);
      await renderCharts(body.charts);
      document.body.dataset.loaded = "1";
    } catch (err) {
      statusEl.textContent = "Error: " + err;
      statusEl.className = "status error";
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const name of ["asof", "assets", "underlying"]) {
      const el = document.getElementById(name);
      if (el && el.value) q.set(name, el.value);
    }
    window.history.replaceState(null, "", "?" + q.toString());
    for (const a of document.querySelectorAll("nav a")) {
      a.setAttribute("href", a.pathname + (q.toString() ? "?" + q.toString() : ""));
    }
    document.body.dataset.loaded = "";
    load();
  });
  window.addEventListener("load", load);
})();
