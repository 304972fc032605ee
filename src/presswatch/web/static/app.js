// presswatch: small enhancements on top of pages that work without JavaScript.
// Charts: tooltips, series switched on and off from the legend, download as SVG or PNG.
// Forms: the sort menu re-runs the search.
"use strict";

(function () {
  function svgText(svg) {
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  }

  function download(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  function downloadPng(svg, name) {
    var box = svg.viewBox.baseVal;
    var scale = 2;
    var image = new Image();
    var url = URL.createObjectURL(new Blob([svgText(svg)], { type: "image/svg+xml" }));
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = box.width * scale;
      canvas.height = box.height * scale;
      var context = canvas.getContext("2d");
      context.scale(scale, scale);
      context.drawImage(image, 0, 0, box.width, box.height);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (blob) { if (blob) download(blob, name + ".png"); }, "image/png");
    };
    image.src = url;
  }

  function button(label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  function enhanceChart(figure) {
    var svg = figure.querySelector("svg");
    if (!svg) return;
    var name = figure.getAttribute("data-name") || "chart";
    var tools = figure.querySelector(".chart-tools");
    if (tools) {
      tools.appendChild(button("SVG", function () {
        download(new Blob([svgText(svg)], { type: "image/svg+xml" }), name + ".svg");
      }));
      tools.appendChild(button("PNG", function () { downloadPng(svg, name); }));
    }
    var tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.hidden = true;
    figure.appendChild(tip);
    svg.addEventListener("mousemove", function (event) {
      var target = event.target.closest ? event.target.closest("[data-tip]") : null;
      if (!target || !svg.contains(target)) { tip.hidden = true; return; }
      tip.textContent = target.getAttribute("data-tip");
      var area = figure.getBoundingClientRect();
      tip.style.left = (event.clientX - area.left + 12) + "px";
      tip.style.top = (event.clientY - area.top + 12) + "px";
      tip.hidden = false;
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
    svg.querySelectorAll(".legend-item").forEach(function (item) {
      function toggle() {
        var index = item.getAttribute("data-series");
        var series = svg.querySelector('.series[data-series="' + index + '"]');
        if (!series) return;
        var hidden = series.getAttribute("visibility") === "hidden";
        series.setAttribute("visibility", hidden ? "visible" : "hidden");
        item.classList.toggle("off", !hidden);
      }
      item.addEventListener("click", toggle);
      item.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); }
      });
    });
  }

  // The dashboard's slower sections are pages of their own: fetched here and put in place.
  function loadPart(section) {
    var source = section.getAttribute("data-src");
    section.removeAttribute("data-src");
    section.setAttribute("aria-busy", "true");
    fetch(source, { headers: { "X-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var parsed = new DOMParser().parseFromString(html, "text/html");
        section.replaceChildren.apply(section, Array.from(parsed.body.childNodes));
        section.querySelectorAll(".chart").forEach(enhanceChart);
        section.classList.add("loaded");
      })
      .catch(function () {
        var note = section.querySelector(".loading");
        if (note) note.classList.add("error");
      })
      .finally(function () { section.removeAttribute("aria-busy"); });
  }

  function ready() {
    document.querySelectorAll(".chart").forEach(enhanceChart);
    document.querySelectorAll("[data-src]").forEach(loadPart);
    var sort = document.getElementById("sort");
    if (sort && sort.form && document.getElementById("q") && document.getElementById("q").value) {
      sort.addEventListener("change", function () { sort.form.submit(); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
