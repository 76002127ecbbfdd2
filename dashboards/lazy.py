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
"""

from __future__ import annotations

import json
import re

import dash

LAZY = ("dash_ag_grid", "dash_cytoscape")

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
    """Dash that loads LAZY's libraries when a response first names them."""

    def _generate_scripts_html(self) -> str:
        tags, urls = split_scripts(super()._generate_scripts_html())
        return loader(urls) + "\n" + tags if urls else tags
