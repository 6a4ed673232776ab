// The reader: the passage named in the URL (#passage-START-END) is highlighted with its note; clicking a
// marked stretch of text selects its innermost passage. Without JavaScript the anchors and notes still work.
(function () {
  "use strict";
  function show(id) {
    document.querySelectorAll(".current").forEach(function (el) { el.classList.remove("current"); });
    if (!id || id.indexOf("passage-") !== 0) return;
    var marked = document.querySelectorAll('[data-p~="' + id + '"]');
    marked.forEach(function (el) { el.classList.add("current"); });
    document.body.setAttribute("data-current-passage", id);
  }
  function fromHash() { show(decodeURIComponent(window.location.hash.slice(1))); }
  window.addEventListener("hashchange", fromHash);
  document.querySelectorAll(".seg").forEach(function (seg) {
    seg.addEventListener("click", function () {
      var ids = seg.getAttribute("data-p").split(" ");
      var id = ids[ids.length - 1]; // innermost: the list runs outermost first
      if (window.location.hash !== "#" + id) window.location.hash = id; else show(id);
    });
  });
  fromHash();
})();
