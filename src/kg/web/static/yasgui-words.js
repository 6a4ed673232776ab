// YASGUI's own words (tab menu, buttons, table controls, the response line) in the page's language.
// YASGUI has no translations, so its English, as it writes it into the page, is replaced by kg's words for
// the same text (kg/web/messages.json, handed over as { English: words }). Only its controls change:
// the query text, the results (tables, the raw response, charts) and the server's messages are left alone.
(function () {
  "use strict";
  var SKIP = ".CodeMirror-scroll, table, svg, pre";  // the text of an editor, the results
  var ATTRIBUTES = ["title", "placeholder", "aria-label"];
  // words with a number or a name in them: the line above the results ("57 results in 0.03 seconds"),
  // the labels of the result views' buttons ("Shows Table view"); a name is itself said in the language
  var PATTERNS = [
    [/^(\d+) results? in ([\d.]+) seconds?$/, "{n} results in {seconds} seconds", ["n", "seconds"]],
    [/^(\d+) results?$/, "{n} results", ["n"]],
    [/^Response in ([\d.]+) seconds?$/, "Response in {seconds} seconds", ["seconds"]],
    [/^Shows (.+) view$/, "Shows {name} view", ["name"]],
    [/^View documentation of (.+)$/, "View documentation of {name}", ["name"]]
  ];

  function wordsFor(text, words) {
    var trimmed = text.trim();
    if (!trimmed) return null;
    // (replacement functions, so that a "$" in the words is not read as a replacement pattern)
    if (Object.prototype.hasOwnProperty.call(words, trimmed)) return text.replace(trimmed, function () { return words[trimmed]; });
    for (var i = 0; i < PATTERNS.length; i++) {
      var m = PATTERNS[i][0].exec(trimmed), said = words[PATTERNS[i][1]];
      if (!m || !said) continue;
      PATTERNS[i][2].forEach(function (field, k) {
        var value = m[k + 1];
        var filled = field === "name" && words[value] ? words[value] : value;
        said = said.replace("{" + field + "}", function () { return filled; });
      });
      return text.replace(trimmed, function () { return said; });
    }
    return null;
  }

  function relabel(node, words) {
    if (node.nodeType === Node.TEXT_NODE) {
      var parent = node.parentElement;
      if (!parent || parent.closest(SKIP)) return;
      var said = wordsFor(node.nodeValue, words);
      if (said !== null && said !== node.nodeValue) node.nodeValue = said;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.closest(SKIP)) return;
    retitle(node, words);
    Array.prototype.forEach.call(node.childNodes, function (child) { relabel(child, words); });
  }

  function retitle(element, words) {
    ATTRIBUTES.forEach(function (name) {
      var value = element.getAttribute(name);
      var said = value && wordsFor(value, words);
      if (said && said !== value) element.setAttribute(name, said);
    });
  }

  // Relabel what is there, then whatever YASGUI adds or retitles later.
  window.kgYasguiWords = function (root, words) {
    if (!Object.keys(words).length) return;
    relabel(root, words);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        if (change.type === "attributes") { if (!change.target.closest(SKIP)) retitle(change.target, words); }
        else change.addedNodes.forEach(function (node) { relabel(node, words); });
      });
    }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ATTRIBUTES });
  };
})();
