"""JSON for requests in the shared frontier (scrapy-redis's SCHEDULER_SERIALIZER: `loads`/`dumps`).

scrapy-redis pickles by default: anyone who can write to the Redis could then run code
in every crawler process, and a request whose meta holds an object of some class would
only fail in the process that pops it. JSON of plain data (str, numbers, lists, dicts,
bytes and tuples tagged) is safe to load and fails in `dumps`, where the request is made.
"""

from __future__ import annotations

import base64
import json

_TAGS = ("$b", "$t", "$d")


def _plain(value):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return {"$t": [_plain(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k in _TAGS for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {"$d": [[_plain(k), _plain(v)] for k, v in value.items()]}
    raise TypeError(f"not plain data, cannot go through the shared frontier: {type(value).__name__} {value!r:.80}")


def _restore(obj: dict):
    if len(obj) == 1:
        ((tag, value),) = obj.items()
        if tag == "$b":
            return base64.b64decode(value)
        if tag == "$t":
            return tuple(value)
        if tag == "$d":
            return {_hashable(k): v for k, v in value}
    return obj


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def dumps(obj) -> bytes:
    return json.dumps(_plain(obj), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(data) -> object:
    return json.loads(data, object_hook=_restore)
