"""Surface water: GB 3838-2002 classes, the 2011 assessment method, lake trophic state.

Modules
-------
standard
    The table files (limits, method rules, TLI coefficients) as Python objects.
classification
    Sample, period and section classes (single-factor evaluation), item
    classes, exceedance multiples and main pollutants, as Ibis expressions.
attainment
    Groups of sections (river, basin, city, province, control level): class
    shares, the method's qualitative label, main pollutants, change between
    periods and trends (Spearman).
trophic
    The trophic level index TLI(Σ) of lakes and reservoirs.
queries
    Store (Ibis backend) -> expression functions used by the CLI, API and reports.

Stored items (``water_samples.item``) use the codes of
``standards/gb3838_2002.toml`` (``pH``, ``DO``, ``CODMn``, ``NH3-N``, ``TP`` ...)
plus ``chla``, ``SD``, ``conductivity``, ``turbidity`` and ``algae_density``.
Canonical units: mg/L; fecal coliform count/L; chl-a mg/m3; SD m; water
temperature degC; pH dimensionless.
"""
