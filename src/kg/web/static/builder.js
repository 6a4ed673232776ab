// The visual query builder's page: Sparnatural writes the query; this runs it on our endpoint (never
// elsewhere), shows the rows with the names Sparnatural asked for, and links the SPARQL into the editor.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("builder-config").textContent);
  var sparnatural = document.getElementById("builder");
  var status = document.getElementById("builder-status");
  var table = document.getElementById("builder-table");
  var openInEditor = document.getElementById("builder-open-editor");
  var lastQuery = null;

  // An IRI under the dataset's base opens our own page for it; another is linked only with a scheme that
  // cannot run code in the page (as the server's pages do: kg.web.links.LINK_SCHEMES).
  function href(iri) {
    if (iri.indexOf(cfg.base) === 0) return cfg.origin + "/" + iri.slice(cfg.base.length);
    return /^(https?|urn|mailto):/i.test(iri) ? iri : "#";
  }

  function cell(binding, label) {
    var td = document.createElement("td");
    if (!binding) return td;
    if (binding.type === "uri") {
      var a = document.createElement("a");
      a.href = href(binding.value);
      a.textContent = label ? label.value : binding.value;
      if (label && label["xml:lang"]) a.lang = label["xml:lang"];
      td.appendChild(a);
    } else {
      td.textContent = binding.value;
      if (binding["xml:lang"]) td.lang = binding["xml:lang"];
    }
    return td;
  }

  function show(results) {
    var vars = results.head.vars;
    // a column ?X_label names the entities of ?X: it becomes the text of their links, not a column
    var shown = vars.filter(function (v) { return !(/_label$/.test(v) && vars.indexOf(v.slice(0, -6)) >= 0); });
    var rows = results.results.bindings;
    table.textContent = "";
    status.textContent = rows.length ? rows.length + " " + cfg.messages.rows : cfg.messages.none;
    if (!rows.length) return;
    var t = document.createElement("table");
    t.className = "results";
    var head = t.createTHead().insertRow();
    shown.forEach(function (v) {
      var th = document.createElement("th");
      var kind = v.replace(/_\d+$/, "");  // Sparnatural's ?E7_Activity_1: a kind of thing and a number
      th.textContent = cfg.columns[kind] ? cfg.columns[kind] + " " + v.slice(kind.length + 1) : v;
      th.title = "?" + v;
      head.appendChild(th);
    });
    var body = t.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      shown.forEach(function (v) { tr.appendChild(cell(row[v], row[v + "_label"])); });
    });
    table.appendChild(t);
  }

  sparnatural.addEventListener("queryUpdated", function (event) {
    lastQuery = sparnatural.expandSparql(event.detail.queryString);
    openInEditor.href = cfg.editor + "?" + new URLSearchParams({ query: lastQuery }).toString();
    openInEditor.hidden = false;
  });

  sparnatural.addEventListener("submit", function () {
    if (!lastQuery) return;
    sparnatural.disablePlayBtn();
    status.textContent = cfg.messages.running;
    table.textContent = "";
    fetch(cfg.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json" },
      body: new URLSearchParams({ query: lastQuery }).toString(),
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) { throw new Error(response.status + ": " + text); });
      }
      return response.json();
    }).then(show).catch(function (err) {
      // the server's words say what went wrong and, for 429 and 503, when to try again
      status.textContent = cfg.messages.failed + " " + err.message;
    }).finally(function () {
      sparnatural.enablePlayBtn();
    });
  });
})();
