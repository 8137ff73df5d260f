"""After-action reports: the AAR as data, the "why" read from traces, charts, HTML/Markdown/PDF.

``build_report(...)`` (in :mod:`sim.report.aar`) assembles every number a report shows into one
dict (written as ``data.json``); :mod:`sim.report.charts` draws from it and the narrated trace;
:mod:`sim.report.render` fills the Jinja2 templates in ``templates/``.
"""
