// canyu console: draw the Plotly figures a page carries as JSON data (no inline scripts, so the
// Content-Security-Policy can forbid them), also after htmx swaps content in.
(function () {
  "use strict";
  function draw(root) {
    if (typeof Plotly === "undefined") { return; }
    root.querySelectorAll("div.plotly-chart[data-figure]").forEach(function (div) {
      if (div.dataset.drawn) { return; }
      var data = document.getElementById(div.dataset.figure);
      if (!data) { return; }
      var fig = JSON.parse(data.textContent);
      div.dataset.drawn = "1";
      Plotly.newPlot(div, fig.data || [], fig.layout || {}, { displaylogo: false, responsive: true });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
