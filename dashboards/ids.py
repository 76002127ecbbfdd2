"""Every component id of the dashboard, in one place (pages, callbacks and the browser tests use
these names; the browser tests find elements by `#id`)."""

from __future__ import annotations

# the shell (dashboards/app.py)
REDIRECT = "redirect"  # a dcc.Location that sends the browser to the login page when the key fails
NAV = "nav"
WHO = "who"  # the key's role and scope, beside the logout link
LOGOUT = "logout"
NOTICE = "notice"  # a banner under the header: Neo4j unavailable (cleared by the next callback that works)

# 1 overview
OV_PERIOD = "overview-period"
OV_KPIS = "overview-kpis"
OV_TREND = "overview-trend"
OV_GROWTH = "overview-growth"
OV_DEPTH = "overview-depth"
OV_FRONTLINE = "overview-frontline"
OV_TOP = "overview-top"
OV_ERROR = "overview-error"

# 2 organisation explorer
EX_URL = "explorer-url"  # the page's own view of the address (?focus=ID&tree=binary)
EX_TREE = "explorer-tree"  # which tree: the sponsor tree, the binary placement tree or the matrix
EX_SEARCH = "explorer-search"
EX_SEARCH_GO = "explorer-search-go"
EX_RESULTS = "explorer-results"
EX_BREADCRUMB = "explorer-breadcrumb"
EX_GRAPH = "explorer-graph"
EX_PANEL = "explorer-panel"
EX_PERIOD = "explorer-period"
EX_ERROR = "explorer-error"
EX_TIMING = "explorer-timing"  # server time of the last expand, for people and the benchmarks

# 3 legs and balance
LG_ID = "legs-id"
LG_GO = "legs-go"
LG_PERIOD = "legs-period"
LG_DEPTH = "legs-depth"
LG_SUMMARY = "legs-summary"
LG_BARS = "legs-bars"
LG_BALANCE = "legs-balance"
LG_SUNBURST = "legs-sunburst"
LG_ERROR = "legs-error"

# 6 analyst workbench
WB_QUERY = "workbench-query"
WB_PARAMS = "workbench-params"
WB_PARAM = "workbench-param"  # pattern-matching: {"type": WB_PARAM, "name": parameter name}
WB_RUN = "workbench-run"
WB_CYPHER = "workbench-cypher"
WB_CYPHER_RUN = "workbench-cypher-run"
WB_RESULT = "workbench-result"  # dcc.Store: what the grid shows (query and parameters, or Cypher)
WB_GRID_BOX = "workbench-grid-box"
WB_GRID = "workbench-grid"  # pattern-matching: {"type": WB_GRID, "run": n}, one grid per run
WB_STATUS = "workbench-status"
WB_CSV = "workbench-csv"
WB_DOWNLOAD = "workbench-download"
WB_ERROR = "workbench-error"

# 4 commission flows
FL_SCOPED = "flows-scoped"  # the message a scoped key gets instead of the page
FL_RUN = "flows-run"
FL_KPIS = "flows-kpis"
FL_SANKEY = "flows-sankey"
FL_COMPONENTS = "flows-components"
FL_LEVELS = "flows-levels"
FL_RANKS = "flows-ranks"
FL_LEGS = "flows-legs"
FL_RATIO = "flows-ratio"  # payout ratio over time, one point per run
FL_ERROR = "flows-error"
FL_WHATIF_A = "flows-whatif-a"  # the baseline run: its plan and period
FL_WHATIF_B = "flows-whatif-b"  # the run whose plan is compared over A's period
FL_WHATIF_GO = "flows-whatif-go"
FL_WHATIF_TOTALS = "flows-whatif-totals"
FL_WHATIF_PEOPLE = "flows-whatif-people"
FL_WHATIF_WINNERS = "flows-whatif-winners"
FL_WHATIF_LOSERS = "flows-whatif-losers"
FL_WHATIF_ERROR = "flows-whatif-error"

# 5 network health
HL_PERIOD = "health-period"
HL_RUN = "health-run"
HL_SCORE = "health-score"
HL_FIGURES = "health-figures"  # the contract's figures, each a card "health-fig-<key>"
HL_FLAGS = "health-flags"
HL_TREND = "health-trend"
HL_EARNINGS = "health-earnings"
HL_EXTRAS = "health-extras"
HL_COHORTS = "health-cohorts"
HL_DISCLOSURE = "health-disclosure"
HL_ERROR = "health-error"
