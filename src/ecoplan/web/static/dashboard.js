// ecoplan dashboard: draws the Plotly figures embedded in the page as JSON data blocks,
// and submits the selector forms when a choice changes. No inline script is used anywhere
// (the content security policy allows scripts from this origin only).
(function () {
  "use strict";

  function drawAll() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(".chart[data-figure]"));
    var pending = [];
    boxes.forEach(function (el) {
      var block = document.getElementById(el.getAttribute("data-figure"));
      if (!block || !window.Plotly) {
        el.setAttribute("data-error", "figure or Plotly missing");
        return;
      }
      var fig = JSON.parse(block.textContent);
      var config = {
        responsive: true,
        displaylogo: false,
        toImageButtonOptions: { filename: el.id, scale: 2 }
      };
      pending.push(
        window.Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
          el.setAttribute("data-rendered", "true");
        })
      );
    });
    Promise.all(pending).then(function () {
      document.body.setAttribute("data-charts", String(pending.length));
    });
  }

  function autoSubmit() {
    var selects = document.querySelectorAll("form.auto select");
    Array.prototype.forEach.call(selects, function (s) {
      s.addEventListener("change", function () {
        s.form.submit();
      });
    });
  }

  function start() {
    autoSubmit();
    drawAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
