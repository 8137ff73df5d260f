"""The workshop in the room: the same session served over HTTP (the ``web`` extra).

``crisis-sim workshop SCENARIO --web`` serves a room board for the projector (``/room``), a
facilitator console (``/facilitator``, behind a secret token) and a page for each team
(``/team/<team>``, behind a PIN or a per-team link), all views of one
:class:`~sim.workshop.live.LiveSession`. See :mod:`sim.web.app`.
"""
