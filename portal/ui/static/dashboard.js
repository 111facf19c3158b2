// Live dashboard: draws three small SVG line charts and updates the
// counters from the server's event stream, without reloading the page.
(function () {
  "use strict";
  var N = 60;
  var series = { arrivals: [], queue: [], throughput: [] };
  var NS = "http://www.w3.org/2000/svg";

  function draw(name) {
    var svg = document.getElementById("chart-" + name);
    if (!svg) { return; }
    var data = series[name];
    var top = 1;
    data.forEach(function (v) { if (v > top) { top = v; } });
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var base = document.createElementNS(NS, "line");
    base.setAttribute("x1", "0"); base.setAttribute("y1", "98");
    base.setAttribute("x2", "300"); base.setAttribute("y2", "98");
    base.setAttribute("class", "axis");
    svg.appendChild(base);
    var label = document.createElementNS(NS, "text");
    label.setAttribute("x", "2"); label.setAttribute("y", "10");
    label.setAttribute("class", "top");
    label.textContent = String(top);
    svg.appendChild(label);
    if (data.length < 2) { return; }
    var pts = data.map(function (v, i) {
      var x = (300 * i) / (N - 1);
      var y = 96 - (86 * v) / top;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    var line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("class", "series");
    svg.appendChild(line);
  }

  function push(name, v) {
    series[name].push(v);
    if (series[name].length > N) { series[name].shift(); }
    var now = document.getElementById("now-" + name);
    if (now) { now.textContent = String(v); }
    draw(name);
  }

  function text(id, v) {
    var el = document.getElementById(id);
    if (el && v !== undefined && v !== null) { el.textContent = String(v); }
  }

  function template(id) {
    var t = document.getElementById(id);
    return t ? t.innerHTML : "";
  }

  function onSnapshot(ev) {
    var s = JSON.parse(ev.data);
    push("arrivals", s.arrivals);
    push("queue", s.queue);
    push("throughput", s.throughput);
    Object.keys(s.counts).forEach(function (k) { text("count-" + k, s.counts[k]); });
    if (s.indicators) {
      ["score", "on_time", "online_payment", "satisfaction", "digitised_results", "online_submission", "full_process"]
        .forEach(function (k) { text("ind-" + k, s.indicators[k]); });
    }
    if (s.backoffice) {
      text("backoffice", template("bo-template")
        .replace("{w}", s.backoffice.waiting)
        .replace("{p}", s.backoffice.in_progress)
        .replace("{o}", (s.backoffice.officers || []).length));
    }
    var at = new Date(s.at);
    text("clock", at.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }));
    text("live", template("live-text"));
  }

  if (!window.EventSource) { return; }
  var es = new EventSource("/dashboard/events");
  es.addEventListener("snapshot", onSnapshot);
  es.onerror = function () { text("live", template("off-text")); };
  ["arrivals", "queue", "throughput"].forEach(draw);
})();
