// The plotly.js the dashboard loads (dashboards/app.py serves it where Dash asks for plotly.js):
// the core, which has the scatter trace, and the trace types dashboards/figures.py draws. The full
// bundle has every trace type plotly.js knows (4.8 MB); a browser with an empty cache spent about
// 1.7 s compiling it before the first figure was drawn, this one about 0.3 s.
// tests/unit/test_plotly_bundle.py checks this list against the figures and the built file.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/heatmap'),
  require('plotly.js/lib/sankey'),
  require('plotly.js/lib/sunburst'),
]);

module.exports = Plotly;
