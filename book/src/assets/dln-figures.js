// Draws the book's plotly figures and keeps them readable in every mdBook theme.
//
// Each figure is a <div id="plot-NAME"> followed by <script type="application/json" id="plot-NAME-data">
// holding exactly the figure the experiment's `plot` produced; `dlnPlot("plot-NAME")` draws it with
// transparent backgrounds and the current theme's text and grid colours, and redraws the colours when
// the reader switches theme. plotly.js is loaded before this file, in <head> (theme/head.hbs).
(function () {
  "use strict";
  const drawn = [];

  function themeColours() {
    const css = getComputedStyle(document.documentElement);
    const get = (name, fallback) => (css.getPropertyValue(name) || "").trim() || fallback;
    return {
      fg: get("--fg", "#333333"),
      grid: get("--table-border-color", "#dddddd"),
      bg: get("--bg", "#ffffff"),
    };
  }

  // The layout overrides that adapt a figure to the theme (the figure's own colours for traces,
  // shapes and annotations are kept: GD blue, SGD red).
  function themed(layout) {
    const c = themeColours();
    const out = {
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      "font.color": c.fg,
      "legend.bgcolor": "rgba(0,0,0,0)",
      "hoverlabel.bgcolor": c.bg,
      "hoverlabel.font.color": c.fg,
    };
    for (const key of Object.keys(layout || {})) {
      if (/^[xy]axis[0-9]*$/.test(key)) {
        out[key + ".gridcolor"] = c.grid;
        out[key + ".linecolor"] = c.grid;
        out[key + ".zerolinecolor"] = c.grid;
      }
    }
    if (!Object.keys(layout || {}).some((k) => /^[xy]axis[0-9]*$/.test(k))) {
      out["xaxis.gridcolor"] = c.grid;
      out["yaxis.gridcolor"] = c.grid;
    }
    if (layout && layout.sliders) {
      layout.sliders.forEach((_, i) => {
        out["sliders[" + i + "].font.color"] = c.fg;
        out["sliders[" + i + "].currentvalue.font.color"] = c.fg;
      });
    }
    return out;
  }

  // Applies dotted-path overrides to a layout object (before the first draw).
  function apply(layout, overrides) {
    for (const [path, value] of Object.entries(overrides)) {
      const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
      let o = layout;
      for (const k of keys.slice(0, -1)) {
        if (o[k] === undefined || o[k] === null) o[k] = {};
        o = o[k];
      }
      o[keys[keys.length - 1]] = value;
    }
    return layout;
  }

  window.dlnPlot = function (id) {
    const div = document.getElementById(id);
    const data = document.getElementById(id + "-data");
    if (!div || !data) return;
    if (typeof Plotly === "undefined") {
      div.textContent = "plotly.js did not load: the figure cannot be drawn.";
      return;
    }
    const fig = JSON.parse(data.textContent);
    const layout = apply(fig.layout || {}, themed(fig.layout));
    delete layout.width;
    layout.autosize = true;
    const config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
    Plotly.newPlot(div, { data: fig.data || [], layout: layout, frames: fig.frames, config: config });
    drawn.push(div);
  };

  // mdBook switches theme by changing the class of <html>: recolour every figure.
  new MutationObserver(() => {
    for (const div of drawn) Plotly.relayout(div, themed(div.layout));
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
})();
