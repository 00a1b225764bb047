"""Components that describe themselves: ``to_config`` / ``from_config``.

Every kind of component (surrogates, proposers, acquisitions, pruners) derives from
:class:`Configurable`. A built-in class names itself with ``config_name`` in its own body and is
registered with its kind when it is defined: there is no table of names to keep in step. A saved
search holds ``component.to_config()`` (``{"type": name, "params": {...}}``), and
``Kind.from_config(config, ...)`` rebuilds it from the classes defined in this process. A class
without its own ``config_name`` (yours, or a subclass of a built-in) is described by its class
path only, and a load asks for an instance again: a state file never names code to import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from agnet_bo.exceptions import StateFileError

__all__ = ["Configurable"]


class Configurable:
    """Mixin of the component kinds: a JSON description, a registry of named built-in classes.

    Class attributes:
        config_name: The name a state file (and a preset) uses for this class; set in the
            class's own body (a subclass does not inherit it). ``None``: not registered.
        config_kind: The kind, for messages (``"surrogate"``, ``"proposer"``, ...).
        by_name: Whether :meth:`registered` lists it among the classes buildable by name alone.
    """

    config_name: ClassVar[str | None] = None
    config_kind: ClassVar[str] = "component"
    by_name: ClassVar[bool] = True
    _registry: ClassVar[dict[str, type[Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("config_name")
        if name is None:
            return
        registry = next((k.__dict__["_registry"] for k in cls.__mro__[1:] if "_registry" in k.__dict__), None)
        if registry is None:
            raise TypeError(f"{cls.__qualname__} sets config_name but derives from no component kind.")
        other = registry.get(name)
        if other is not None and other.__qualname__ != cls.__qualname__:  # a module reloaded redefines its own
            raise TypeError(f"config_name {name!r} of {cls.__qualname__} is already {other.__qualname__}'s.")
        registry[name] = cls

    @classmethod
    def registered(cls, all: bool = False) -> dict[str, type[Any]]:
        """``{config_name: class}`` of this kind, in definition order (only those buildable by
        name alone unless ``all``)."""
        return {n: c for n, c in cls._registry.items() if all or c.by_name}

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this component (JSON values)."""
        return {}

    def to_config(self) -> dict[str, Any]:
        """``{"type": config_name, "params": get_params()}``, or ``{"type": None, "class": path}``
        for a class without its own ``config_name``."""
        name = type(self).__dict__.get("config_name")
        if name is None:
            return {"type": None, "class": f"{type(self).__module__}.{type(self).__qualname__}"}
        return {"type": name, "params": self.get_params()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **context: Any) -> Any:
        """The component :meth:`to_config` described (``context``: what the kind needs to build
        one, such as the space).

        Raises:
            StateFileError: If the description names no registered class (a class of your own).
        """
        name = config.get("type") if isinstance(config, Mapping) else None
        sub = cls._registry.get(name) if isinstance(name, str) else None
        if sub is None:
            what = config.get("class") or name if isinstance(config, Mapping) else config
            raise StateFileError(
                f"The search used a {cls.config_kind} of your own class ({what}); pass it again: "
                f"Optimizer.load(path, {cls.config_kind}=...)."
            )
        return sub._from_params(dict(config.get("params") or {}), **context)

    @classmethod
    def _from_params(cls, params: dict[str, Any], **context: Any) -> Any:
        """Build from :meth:`get_params` (override where the constructor needs ``context``)."""
        return cls(**params)
