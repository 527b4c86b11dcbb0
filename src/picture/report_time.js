
// Time (`stance report --with-time`): the network as of a day chosen with the slider or the
// buttons beside it, from the data block's intervals of each drawn edge (in the order the
// edges are drawn). Days are `YYYY-MM-DD` text, so they compare as strings; `null` is an
// open end. The last stop shows every edge, as the page is drawn.
(function () {
  "use strict";
  var time = JSON.parse(document.getElementById("stance-data").textContent).time;
  var slider = document.getElementById("day"), svg = document.getElementById("network");
  if (!time || !slider || !svg) return;
  var edges = svg.querySelectorAll(".edge"), labels = svg.querySelectorAll(".elabel");
  var label = document.getElementById("day-label");
  function holds(intervals, day) {
    return intervals.some(function (iv) {
      return (iv[0] === null || iv[0] <= day) && (iv[1] === null || day <= iv[1]);
    });
  }
  function show() {
    var i = Number(slider.value), day = i < time.days.length ? time.days[i] : null, shown = 0;
    for (var k = 0; k < edges.length; k++) {
      var on = day === null || holds(time.edges[k] || [], day);
      edges[k].classList.toggle("absent", !on);
      if (labels[k]) labels[k].classList.toggle("absent", !on);
      if (on) shown++;
    }
    label.textContent = (day === null ? "every day" : day) + " (" + shown + " of " + edges.length + " edges)";
  }
  function step(by) {
    slider.value = String(Math.min(time.days.length, Math.max(0, Number(slider.value) + by)));
    show();
  }
  slider.addEventListener("input", show);
  document.getElementById("day-prev").addEventListener("click", function () { step(-1); });
  document.getElementById("day-next").addEventListener("click", function () { step(1); });
  show();
})();
