"""dashboards/lazy.py: AG Grid and Cytoscape leave the page's script tags for the on-demand loader
(the browser tests in tests/integration/test_dashboard.py load them through it)."""

from __future__ import annotations

import json
import re

from dashboards import lazy


def test_the_lazy_libraries_tags_are_taken_out_in_order_and_the_rest_kept() -> None:
    tags = "\n".join(
        f'<script src="/dashboard/_dash-component-suites/{path}"></script>'
        for path in (
            "dash/deps/react@18.v4m1.min.js",
            "dash_cytoscape/dash_cytoscape.v1m2.min.js",
            "dash_ag_grid/dash_ag_grid.v35m3.min.js",
            "dash_ag_grid/extra.v35m3.js",
            "dash/dash-renderer/build/dash_renderer.v4m1.min.js",
        )
    )
    kept, urls = lazy.split_scripts(tags)
    assert re.findall(r'src="([^"]+)"', kept) == [
        "/dashboard/_dash-component-suites/dash/deps/react@18.v4m1.min.js",
        "/dashboard/_dash-component-suites/dash/dash-renderer/build/dash_renderer.v4m1.min.js",
    ]
    assert urls == {
        "dash_cytoscape": ["/dashboard/_dash-component-suites/dash_cytoscape/dash_cytoscape.v1m2.min.js"],
        "dash_ag_grid": [
            "/dashboard/_dash-component-suites/dash_ag_grid/dash_ag_grid.v35m3.min.js",
            "/dashboard/_dash-component-suites/dash_ag_grid/extra.v35m3.js",
        ],
    }


def test_the_loader_carries_the_urls_and_cannot_close_its_script_early() -> None:
    script = lazy.loader({"dash_ag_grid": ["/a</script><b>.js"]})
    assert script.startswith("<script>")
    assert script.endswith("</script>")
    assert script.count("</script>") == 1
    body = script.removeprefix("<script>").removesuffix("</script>")
    given = json.loads(re.search(r"var lazy = (\{.*?\}),", body).group(1).replace("<\\/", "</"))  # type: ignore[union-attr]
    assert given == {"dash_ag_grid": ["/a</script><b>.js"]}


def test_the_app_leaves_out_both_libraries_and_loads_them_on_demand() -> None:
    from dashboards.app import create_dash
    from graph_service.config import Settings

    app = create_dash(Settings(warm_up=False), lambda: None)  # type: ignore[arg-type,return-value]
    with app.server.test_request_context("/"):
        page = app._generate_scripts_html()
    srcs = re.findall(r'<script src="([^"]+)"', page)
    assert srcs
    assert not [s for s in srcs if "dash_ag_grid" in s or "dash_cytoscape" in s]
    assert page.index("window.fetch") < page.index("dash_renderer")
    for name in lazy.LAZY:
        assert re.search(rf'"{name}": \["/dashboard/_dash-component-suites/{name}/[^"]+\.js"\]', page)


def test_plotly_is_preloaded_and_run_by_the_first_callback_request_before_dash_s_scripts() -> None:
    from dashboards.app import create_dash
    from graph_service.config import Settings

    app = create_dash(Settings(warm_up=False), lambda: None)  # type: ignore[arg-type,return-value]
    with app.server.test_request_context("/"):
        page = app._generate_scripts_html()
    url = "/dashboard/" + lazy.PLOTLY_PATH  # where dash-renderer points dcc.Graph (app.PLOTLY_ROUTE)
    assert f'<link rel="preload" href="{url}" as="script">' in page
    assert page.index(lazy.PLOTLY_PATH) < page.index("window.Plotly = {") < page.index("dash_renderer")
    assert not re.search(r'<script[^>]*src="[^"]*plotly', page)  # no tag that would run it early


def test_the_early_plotly_script_cannot_close_its_script_early() -> None:
    html = lazy.early_plotly("/x</script><b>.js")
    script = html[html.index("<script>") :]
    assert script.count("</script>") == 1
    assert '"/x<\\/script><b>.js"' in script
