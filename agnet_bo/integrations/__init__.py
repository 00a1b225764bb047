"""Integrations of agnet-bo with other frameworks.

Each integration lives in its own module and imports its framework only when used, so
``import agnet_bo`` never needs them:

* :mod:`agnet_bo.integrations.ray`: a Ray Tune searcher (:class:`~agnet_bo.integrations.ray.AGNetSearch`)
  and a parallel driver over Ray tasks (:func:`~agnet_bo.integrations.ray.run_parallel`). Needs the
  ``ray`` extra: ``pip install 'agnet-bo[ray]'``.
* :mod:`agnet_bo.integrations.optuna`: an Optuna sampler (:class:`~agnet_bo.integrations.optuna.AGNetSampler`)
  with :func:`~agnet_bo.integrations.optuna.suggest_architecture`, so that an Optuna study (its
  storage, dashboard and pruners) searches an agnet-bo space with AG-Net. It imports Optuna when it
  is imported (this package does not import it). Needs the ``optuna`` extra:
  ``pip install 'agnet-bo[optuna]'``.
"""

__all__: list[str] = []
