"""A pinned library's functions rebound to a namespace of our own: the same code objects, some of
the names they call answered by us, and the library as imported anywhere else left as shipped.

htmldate's date parser told the page's language (dates.py) and trafilatura's readings of one page
sharing the steps they repeat (readings.py) change what the library's code calls without a copy
of that code; the libraries are pinned in requirements.txt."""

from __future__ import annotations

import types


def rebound(fn, scope: dict):
    """`fn` reading its globals from `scope` (same code, defaults and closure)."""
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def rebound_module(module, overrides: dict) -> dict:
    """A namespace holding `module`'s globals, the functions defined in `module` rebound to it, and
    `overrides` (names the rebound functions then call instead of the module's)."""
    scope = {**vars(module), **overrides}
    for name, value in vars(module).items():
        if name not in overrides and isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            scope[name] = rebound(value, scope)
    return scope
