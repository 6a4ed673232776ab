// The SPARQL editor: YASGUI (served by us from node_modules) set up for this endpoint.
// Reads its settings from the JSON in #editor-config; nothing is fetched from any other host.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("editor-config").textContent);
  var words = cfg.words || {};  // YASGUI's English → the page's language (empty in English)
  function say(english) { return words[english] || english; }
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong"];

  function prefixLines() {
    return Object.keys(cfg.prefixes).sort().map(function (p) {
      return "PREFIX " + p + ": <" + cfg.prefixes[p] + ">";
    }).join("\n");
  }
  var blankQuery = prefixLines() + "\n\nSELECT ?thing ?label WHERE {\n  ?thing skos:prefLabel ?label .\n  FILTER(lang(?label) = \"en\")\n} LIMIT 20\n";

  // Map an IRI under the base onto this server, so result links open our own pages.
  function href(iri) {
    return iri.indexOf(cfg.base) === 0 ? cfg.origin + "/" + iri.slice(cfg.base.length) : iri;
  }

  // A YASR plugin: bars for results with a label column and a numeric column (SVG, no library).
  function numericColumn(results) {
    if (!results || !results.getVariables || results.getBoolean() !== undefined) return null;
    var vars = results.getVariables(), rows = results.getBindings();
    if (!rows || rows.length === 0 || rows.length > 200) return null;
    for (var i = 0; i < vars.length; i++) {
      var v = vars[i], ok = rows.every(function (r) {
        var b = r[v];
        return b && b.type !== "uri" && b.datatype && b.datatype.indexOf(XSD) === 0 &&
          NUMERIC.indexOf(b.datatype.slice(XSD.length)) >= 0 && isFinite(parseFloat(b.value));
      });
      if (ok) return v;
    }
    return null;
  }
  function labelOf(row, vars, numeric) {
    var preferred = vars.filter(function (v) { return v !== numeric && row[v] && row[v].type !== "uri"; });
    var any = vars.filter(function (v) { return v !== numeric && row[v]; });
    var pick = preferred[0] || any[0];
    if (!pick) return "";
    var b = row[pick];
    return b.type === "uri" ? shorten(b.value) : b.value;
  }
  function shorten(iri) {
    var best = null;
    Object.keys(cfg.prefixes).forEach(function (p) {
      var ns = cfg.prefixes[p];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > cfg.prefixes[best].length)) best = p;
    });
    return best ? best + ":" + iri.slice(cfg.prefixes[best].length) : iri;
  }
  function svgEl(name, attrs, text) {
    var el = document.createElementNS("http://www.w3.org/2000/svg", name);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function KgChart(yasr) {
    this.yasr = yasr;
    this.priority = 5;
    this.label = say("Chart");
    this.helpReference = cfg.origin + "/examples";
  }
  KgChart.prototype.canHandleResults = function () { return !!numericColumn(this.yasr.results); };
  KgChart.prototype.getIcon = function () {
    var d = document.createElement("div");
    d.className = "kg-chart-icon";
    d.textContent = "▮▮";
    return d;
  };
  KgChart.prototype.draw = function () {
    var results = this.yasr.results, numeric = numericColumn(results);
    var vars = results.getVariables(), rows = results.getBindings();
    var row = 22, labelW = 220, width = 760, top = 24, valueW = 70;
    var peak = Math.max.apply(null, rows.map(function (r) { return Math.abs(parseFloat(r[numeric].value)); })) || 1;
    var height = top + rows.length * row + 8;
    var svg = svgEl("svg", { "class": "kg-chart", viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img" });
    svg.appendChild(svgEl("title", {}, "?" + numeric + " per row"));
    svg.appendChild(svgEl("text", { x: 0, y: 16, "class": "panel-title" }, "?" + numeric));
    rows.forEach(function (r, i) {
      var value = parseFloat(r[numeric].value), y = top + i * row;
      var w = Math.max(1, Math.abs(value) / peak * (width - labelW - valueW - 10));
      var g = svgEl("g", { "class": "bar" });
      var label = labelOf(r, vars, numeric);
      g.appendChild(svgEl("text", { x: labelW - 6, y: y + row * 0.65, "text-anchor": "end", "class": "bar-label" }, label.length > 34 ? label.slice(0, 33) + "…" : label));
      g.appendChild(svgEl("rect", { x: labelW, y: y + 3, width: w.toFixed(1), height: row - 7 }));
      g.appendChild(svgEl("text", { x: labelW + w + 4, y: y + row * 0.65, "class": "bar-value" }, value.toLocaleString("en")));
      g.appendChild(svgEl("title", {}, label + ": " + r[numeric].value));
      svg.appendChild(g);
    });
    this.yasr.resultsEl.appendChild(svg);
  };

  var Yasr = Yasgui.Yasr;
  Yasr.registerPlugin("chart", KgChart);
  if (Object.keys(words).length) {  // the result table's own lines in the page's language
    var table = Yasr.plugins.table.defaults.tableConfig;
    table.language = Object.assign({}, table.language, {
      info: say("Rows _START_ to _END_ of _TOTAL_"), infoEmpty: say("No rows"), emptyTable: say("No rows"),
      zeroRecords: say("No row matches the filter"), infoFiltered: say("(filtered from _MAX_ rows)")
    });
  }

  // Entities by name: type "<" and a few letters of a name in any of the three languages (or of an IRI
  // under the base) and pick the IRI. The names come from our own reconciliation suggest service.
  var names = {};
  Yasgui.Yasqe.registerAutocompleter({
    name: "kg-entities",
    bulk: false,
    autoShow: true,
    isValidCompletionPosition: function (yasqe) {
      var token = yasqe.getCompleteToken();
      return /^<[^>\s]{2,}$/.test(token.string) && token.string.indexOf("://") < 0 ||
        token.string.indexOf("<" + cfg.base + "id/") === 0;
    },
    get: function (yasqe, token) {
      var typed = token.string.slice(1);
      if (typed.indexOf(cfg.base) === 0) typed = typed.slice(typed.lastIndexOf("/") + 1);
      var url = cfg.suggestUrl + "?" + new URLSearchParams({ prefix: typed }).toString();
      return fetch(url, { headers: { "Accept-Language": cfg.lang } }).then(function (r) { return r.ok ? r.json() : { result: [] }; }).then(function (doc) {
        return doc.result.map(function (hit) {
          var iri = "<" + cfg.base + "id/" + hit.id + ">";
          names[iri] = hit.name;
          return iri;
        });
      });
    },
    postprocessHints: function (yasqe, hints) {
      hints.forEach(function (hint) {
        if (names[hint.text]) hint.displayText = names[hint.text] + "  " + hint.text;
      });
      return hints;
    }
  }, true);

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    // the server's messages (syntax errors, refusals, limits) in the page's language, asked for on each
    // request (a function, so a tab saved in another language does not keep that language's header)
    requestConfig: { endpoint: cfg.endpoint, method: "POST", headers: function () { return { "Accept-Language": cfg.lang }; } },
    tabName: say("Query"),
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: cfg.endpoint }]; } },
    persistenceId: cfg.persistenceId,
    populateFromUrl: true,
    autofocus: false,
    yasqe: {
      value: blankQuery,
      // our own prefixes, from our own server; no class/property lookups on outside services
      prefixCcApi: cfg.prefixesUrl,
      autocompleters: ["prefixes", "variables", "kg-entities"],
      resizeable: true,
      editorHeight: "320px"
    },
    yasr: {
      prefixes: cfg.prefixes,
      pluginOrder: ["table", "chart", "response"],
      defaultPlugin: "table"
    }
  });
  window.kgYasgui = yasgui;
  window.kgYasguiWords(document.getElementById("yasgui"), words);

  // Result links open our pages (the table links every IRI to itself; ours live on this server).
  function relink(yasr) {
    yasr.resultsEl.querySelectorAll("a[href]").forEach(function (a) {
      var target = a.getAttribute("href");
      if (target.indexOf(cfg.base) === 0) {
        a.setAttribute("href", href(target));
        a.setAttribute("target", "_self");
        a.classList.add("kg-entity");
      }
    });
  }
  function watch(tab) {
    var yasr = tab.getYasr && tab.getYasr();
    if (yasr && !yasr.__kgWatched) {
      yasr.__kgWatched = true;
      yasr.on("drawn", function () { relink(yasr); });
    }
  }
  Object.keys(yasgui._tabs).forEach(function (id) { watch(yasgui.getTab(id)); });
  yasgui.on("tabChange", function (_, tab) { watch(tab); });
  yasgui.on("tabSelect", function () { setTimeout(function () { watch(yasgui.getTab()); }, 0); });
  yasgui.on("queryResponse", function (_, tab) { watch(tab); setTimeout(function () { relink(tab.getYasr()); }, 0); });

  // The header of the example shown in the current tab (question, what a row is, columns, note).
  var header = document.getElementById("example-header");
  function showHeader(tab) {
    var ex = tab && cfg.examples.filter(function (e) { return e.title === tab.getName(); })[0];
    header.hidden = !ex;
    if (!ex) return;
    header.querySelector('[data-field="question"]').textContent = ex.question;
    header.querySelector('[data-field="row"]').textContent = ex.row;
    header.querySelector('[data-field="columns"]').textContent = ex.columns.map(function (c) { return "?" + c; }).join(" ");
    header.querySelector('[data-field="note"]').textContent = ex.note || "—";
  }
  yasgui.on("tabSelect", function (_, id) { setTimeout(function () { showHeader(yasgui.getTab(id)); }, 0); });
  showHeader(yasgui.getTab());

  // The example catalog: each opens in a tab of its own (or is selected if already open).
  function openExample(name) {
    var ex = cfg.examples.filter(function (e) { return e.name === name; })[0];
    if (!ex) return null;
    var existing = Object.keys(yasgui._tabs).map(function (id) { return yasgui.getTab(id); })
      .filter(function (t) { return t.getName() === ex.title; })[0];
    var tab = existing ? yasgui.selectTabId(existing.getId()) : yasgui.addTab(true, { name: ex.title, yasqe: { value: ex.text } });
    if (existing) tab.setQuery(ex.text);
    watch(tab);
    showHeader(tab);
    document.querySelectorAll("#examples li").forEach(function (li) {
      li.classList.toggle("current", li.getAttribute("data-name") === name);
    });
    return tab;
  }
  document.querySelectorAll("#examples [data-open]").forEach(function (btn) {
    btn.addEventListener("click", function (event) {
      event.preventDefault();
      openExample(btn.getAttribute("data-open"));
    });
  });
  window.kgOpenExample = openExample;

  // /editor?example=NAME (from the examples page) opens that example.
  var params = new URLSearchParams(window.location.search);
  if (params.get("example")) openExample(params.get("example"));

  // A shareable link for the current tab: the query (and endpoint) in the URL, restored on load.
  var share = document.getElementById("share-link");
  document.getElementById("share").addEventListener("click", function () {
    var tab = yasgui.getTab();
    var url = cfg.origin + "/editor?" + new URLSearchParams({ query: tab.getQuery(), endpoint: cfg.endpoint }).toString();
    share.value = url;
    share.hidden = false;
    share.select();
    if (navigator.clipboard) navigator.clipboard.writeText(url).catch(function () {});
  });
  document.body.setAttribute("data-editor-ready", "true");
})();
