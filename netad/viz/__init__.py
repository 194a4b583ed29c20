"""Every figure netad draws, one module per concern; bench, dashboard, report, explain and the CLI draw through it.

- ``style``: the shared look (colours, Plotly layout) and the lazy matplotlib / Plotly imports;
- ``scores``: what the score figures are computed from (log axis rule, ROC / PR points, decimation);
- ``curves``: Plotly score histogram, ROC and precision-recall curves (dashboard, report);
- ``job_figures``: one matplotlib PNG per job of a run directory (``netad bench --plots``);
- ``categories``: per-attack-category detection rates (bar chart, heatmap);
- ``leaderboard``: mean ± std over seeds per detector;
- ``shap``: SHAP summaries (Plotly bars, shap's matplotlib plots);
- ``sweep``: metric-vs-parameter PNGs of ``netad sweep``;
- ``latent``: 2-D maps of a detector's latent space (``netad latent-plot``).

viz is an outer layer: it may import the core, the core never imports it. matplotlib and Plotly are extras
(``netad[plot]``, ``netad[dashboard]``), imported only when a figure is drawn.
"""
