"""Early warnings: heavy-pollution weather warnings (``pollution``) and the other alerts.

Each alert module reads tables (forecasts, assessments) and returns tables of
episodes with the evidence behind them; nothing here prints. The numbers of the
rules live in table files beside the modules (e.g. ``heavy_pollution.toml``),
with their sources and certainty.
"""
