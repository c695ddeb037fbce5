"""The value types of the options (commands.options): what a flag, a CDNPUB_* variable
or a [tool.cdnpub] key must hold, checked before any request."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from cdnpub.build.model import fingerprinted_pattern
from cdnpub.errors import UserError
from cdnpub.local.provision import LOCAL_ENDPOINT
from cdnpub.text import printable
from cdnpub.urls import endpoint_problem


class Text(click.types.StringParamType):
    """A string; empty is a mistake (`--manifest "$UNSET_CI_VARIABLE"`), not a value."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            self.fail(f"{value!r} is not a string", param, ctx)
        if not value.strip():
            self.fail("must not be empty", param, ctx)
        if not value.isprintable():
            self.fail(f"{printable(value)!r} holds a control character", param, ctx)
        return value


class Folder(click.Path):
    """A folder to write to (`--out`); empty or blank is a mistake (`--out "$UNSET"` would
    write into the current directory, `--out " "` into a folder named by a space)."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            TEXT.convert(value, param, ctx)
        return super().convert(value, param, ctx)


class Finite(click.FloatRange):
    """A number in range; nan and inf are refused (click's FloatRange lets nan through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class EndpointURL(Text):
    """http(s)://host[:port][/]: what botocore takes as an endpoint. A mistake here is the
    user's set-up (exit 2, like the other client set-up errors), found before any request,
    not a connection failure (exit 1)."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        url = super().convert(value, param, ctx)
        problem = endpoint_problem(url, LOCAL_ENDPOINT)  # the rule CDN_ENDPOINT_URL follows too
        if problem is not None:
            raise UserError(problem)
        return url


class FingerprintedPattern(Text):
    """A regex that takes only the hash a bundler put into a name (build.model.fingerprinted_pattern)."""

    name = "regex"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return fingerprinted_pattern(super().convert(value, param, ctx)).pattern
        except UserError as err:
            self.fail(str(err), param, ctx)


TEXT = Text()
FINGERPRINTED_PATTERN = FingerprintedPattern()
