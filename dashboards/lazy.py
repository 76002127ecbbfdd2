"""Component libraries loaded when a page first needs them, not with every page.

Dash puts a script tag in every page for every component library the app imports, and the
browser compiles them all before the first callback: AG Grid (1.3 MB, the workbench only) and
Cytoscape (0.5 MB, the explorer only) cost every first visit to the Overview. So `LazyDash`
leaves their tags out and puts a small loader in front of Dash's scripts. The loader wraps
`window.fetch`: when a layout or callback response that dash-renderer fetched names one of
those libraries (`"namespace": "dash_ag_grid"`), it adds the library's script (the same URL,
fingerprint included, Dash would have used) and hands the response to dash-renderer only once
the script has run, so the renderer finds `window.dash_ag_grid` as it would have. A script that
fails to load is reported and the response passes on (the renderer then reports the missing
library, as it would for any broken script).

plotly.js goes the other way: every page but two draws charts, and dcc.Graph fetches plotly.js
(1.4 MB) only once a graph is rendered, after the layout and the page's callbacks came back, and
then compiles it before the first chart: 0.1-0.2 s of every first visit spent after the data is
there. `early_plotly` has the browser download it with the page (a preload) and run it when the
first callback request goes out, while the server works on it (run any earlier, it would hold
up Dash's own scripts). Until it has run, `window.Plotly` is a thenable of it: dcc.Graph waits
on `Promise.resolve(window.Plotly || <its own loader>)`, so it waits on ours and adds no second
script, and its waiting runs the script if no callback request did.
"""

from __future__ import annotations

import json
import re

import dash

LAZY = ("dash_ag_grid", "dash_cytoscape")
PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"

_LOADER = """(function () {
  var lazy = %s, loading = {}, fetch0 = window.fetch;
  function load(ns) {
    if (window[ns] || !lazy[ns]) { return Promise.resolve(); }
    if (!loading[ns]) {
      loading[ns] = lazy[ns].reduce(function (before, src) {
        return before.then(function () {
          return new Promise(function (ok) {
            var s = document.createElement("script");
            s.src = src;
            s.onload = ok;
            s.onerror = function () { console.error("could not load " + src); ok(); };
            document.head.appendChild(s);
          });
        });
      }, Promise.resolve());
    }
    return loading[ns];
  }
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var answer = fetch0.apply(this, arguments);
    if (!/_dash-(update-component|layout)/.test(url)) { return answer; }
    return answer.then(function (response) {
      var wanted = Object.keys(lazy).filter(function (ns) { return !window[ns]; });
      if (!wanted.length || !response.ok) { return response; }
      return response.clone().text().then(function (text) {
        var named = wanted.filter(function (ns) {
          return new RegExp('"namespace":\\\\s*"' + ns + '"').test(text);
        });
        return Promise.all(named.map(load)).then(function () { return response; });
      });
    });
  };
})();"""


_EARLY_PLOTLY = """(function () {
  if (window.Plotly) { return; }
  var src = %s, started = false, ok, loaded = new Promise(function (resolve) { ok = resolve; });
  function start() {
    if (started) { return; }
    started = true;
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () { ok(window.Plotly); };
    s.onerror = function () { console.error("could not load " + src); ok(); };
    document.head.appendChild(s);
  }
  window.Plotly = { then: function (done, failed) { start(); return loaded.then(done, failed); } };
  var fetch0 = window.fetch;
  window.fetch = function (input) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (/_dash-update-component/.test(url)) { start(); }
    return fetch0.apply(this, arguments);
  };
})();"""


def early_plotly(url: str) -> str:
    """The preload and the inline script that load plotly.js from `url` early (see above)."""
    quoted = json.dumps(url).replace("</", "<\\/")
    return f'<link rel="preload" href={quoted} as="script">\n<script>{_EARLY_PLOTLY % quoted}</script>'


def split_scripts(tags: str, names: tuple[str, ...] = LAZY) -> tuple[str, dict[str, list[str]]]:
    """Dash's script tags without those of the `names` libraries, and those libraries' URLs in
    their order."""
    urls: dict[str, list[str]] = {}

    def take(match: re.Match[str]) -> str:
        urls.setdefault(match.group(2), []).append(match.group(1))
        return ""

    alternatives = "|".join(re.escape(n) for n in names)
    pattern = rf'<script src="([^"]*/_dash-component-suites/({alternatives})/[^"]*)"></script>\n?'
    return re.sub(pattern, take, tags), urls


def loader(urls: dict[str, list[str]]) -> str:
    """The inline script that loads `urls` (library -> its scripts) on demand."""
    return "<script>" + _LOADER % json.dumps(urls).replace("</", "<\\/") + "</script>"


class LazyDash(dash.Dash):
    """Dash that loads LAZY's libraries when a response first names them, and plotly.js with
    the page."""

    def _generate_scripts_html(self) -> str:
        tags, urls = split_scripts(super()._generate_scripts_html())
        # where dash-renderer points dcc.Graph when Dash serves its own scripts
        plotly = early_plotly(self.config.requests_pathname_prefix + PLOTLY_PATH)
        return plotly + "\n" + (loader(urls) + "\n" + tags if urls else tags)
