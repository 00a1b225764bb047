"""Integrations of agnet-bo with other frameworks.

Each integration lives in its own module and imports its framework only when used, so
``import agnet_bo`` never needs them:

* :mod:`agnet_bo.integrations.ray`: a Ray Tune searcher (:class:`~agnet_bo.integrations.ray.AGNetSearch`)
  and a parallel driver over Ray tasks (:func:`~agnet_bo.integrations.ray.run_parallel`). Needs the
  ``ray`` extra: ``pip install 'agnet-bo[ray]'``.
"""

__all__: list[str] = []
