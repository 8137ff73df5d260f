"""After-action reports: the AAR as data, the "why" read from traces, charts, HTML/Markdown/PDF.

:func:`sim.report.generate.make_report` takes a ``ReportRequest``; ``build_report`` (in
:mod:`sim.report.aar`, or :mod:`sim.report.workshop` for a workshop) builds the typed ``AAR`` once
(``asdict`` of it is ``data.json``); :mod:`sim.report.charts` draws from it and the narrated trace;
:mod:`sim.report.render` fills the Jinja2 templates in ``templates/``, section numbers taken from the AAR.
"""
