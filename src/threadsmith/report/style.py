"""The report's stylesheet, inlined into the page (the report is one self-contained file)."""

CSS = """
:root { --ink:#1f2533; --muted:#5d6677; --faint:#8a93a3; --line:#e4e7ec; --panel:#f6f7f9;
  --accent:#3b5b92; --error:#b42318; --warning:#a15c07; --info:#4b5a70; --good:#2f7d4f; --fair:#a15c07; --poor:#b42318; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:#fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 40px 72px; }
h1 { font-size: 24px; margin: 0 0 2px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 44px 0 14px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 26px 0 8px; }
p { margin: 6px 0 10px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.sub { color: var(--muted); font-size: 13px; }
.mono, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
nav.toc { margin: 10px 0 0; font-size: 13px; } nav.toc a { margin-right: 14px; }
.overview { display: grid; grid-template-columns: 250px 1fr; gap: 28px; margin-top: 22px; align-items: start; }
.scorecard { border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; background: var(--panel); }
.scorecard .value { font-size: 60px; font-weight: 700; line-height: 1; letter-spacing: -0.02em; }
.scorecard .value small { font-size: 20px; color: var(--faint); font-weight: 500; }
.scorecard .grade { font-weight: 600; text-transform: uppercase; font-size: 12px; letter-spacing: .08em; }
.meter { height: 8px; background: var(--line); border-radius: 4px; margin: 12px 0 8px; overflow: hidden; }
.meter span { display: block; height: 100%; }
.good { color: var(--good); } .fair { color: var(--fair); } .poor { color: var(--poor); }
.bg-good { background: var(--good); } .bg-fair { background: var(--fair); } .bg-poor { background: var(--poor); }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin-bottom: 18px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.kpi b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
.kpi span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; border-bottom: 1px solid var(--line); padding: 4px 8px; }
td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.barcell { width: 28%; } .bar { display: block; height: 10px; margin-top: 5px; background: var(--accent);
  border-radius: 2px; opacity: .8; }
.penalty { color: var(--poor); font-weight: 600; }
.sev { display: inline-block; font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em;
  padding: 0 6px; border-radius: 3px; border: 1px solid currentColor; }
.sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.info { color: var(--info); }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px 32px; }
figure { margin: 0; } figcaption { font-weight: 600; font-size: 14px; }
figcaption span { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; } svg .axis { fill: var(--muted); font-size: 12px; }
.stack { display: flex; height: 22px; border-radius: 4px; overflow: hidden; margin: 8px 0; }
.legend { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; color: var(--muted); }
.legend li { white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.legend b { color: var(--ink); font-weight: 600; }
.empty { color: var(--faint); font-style: italic; }
.family { margin-top: 22px; }
.family h3 { display: flex; gap: 12px; align-items: baseline; margin-bottom: 4px; }
.family h3 .sub { font-weight: 400; }
details.code { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; }
details.code > summary { cursor: pointer; padding: 7px 12px; display: grid;
  grid-template-columns: 62px 84px 1fr 130px 120px; gap: 10px; align-items: baseline; list-style: none; }
details.code > summary::-webkit-details-marker { display: none; }
details.code > summary::before { content: "\\25B8"; position: absolute; margin-left: -10px; color: var(--faint); }
details.code[open] > summary::before { content: "\\25BE"; }
.grid2 h3 { margin-top: 10px; }
details.code[open] > summary { border-bottom: 1px solid var(--line); background: var(--panel); }
details.code .body { padding: 6px 14px 12px; }
.doc { color: var(--muted); font-size: 13px; }
ol.examples { padding-left: 20px; margin: 6px 0; } ol.examples li { margin: 8px 0; }
.where { font-size: 12px; color: var(--faint); }
details.excerpt summary { cursor: pointer; font-size: 12px; color: var(--accent); }
.turns { border-left: 3px solid var(--line); margin: 6px 0 4px; padding: 2px 0 2px 10px; }
.turn { font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
.turn .role { font-weight: 600; color: var(--muted); margin-right: 6px; font-size: 11px; text-transform: uppercase; }
.turn.hit { background: #fff4e5; border-radius: 3px; padding: 2px 4px; }
.formula { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px;
  font-size: 13px; white-space: pre; overflow-x: auto; }
footer { margin-top: 48px; color: var(--faint); font-size: 12px; }
@media print { details.code { break-inside: avoid; } }
"""
