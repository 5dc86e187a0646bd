"""The CLI's options for finding in a list (``shared.listing``): ``--search``, ``--from``,
``--to`` and ``--sort``, the same for every list command, sent as the route's ``q``, ``from``,
``to`` and ``sort``."""
from __future__ import annotations

from typing import Callable

import click

from shared.listing import Listing


def find_options(listing: Listing) -> Callable:
    """Decorate a list command with the options of ``listing``; its callback receives them as
    one ``finding`` dict, ready to send as query parameters."""
    orders = tuple(listing.sorts) + tuple(f"-{name}" for name in listing.sorts)

    def decorate(command: Callable) -> Callable:
        options = [
            click.option("--search", "q", metavar="WORDS", help="words that must all appear (any order, case or accent)"),
            click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                         help="only those whose days reach this day or later"),
            click.option("--to", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                         help="only those whose days start on this day or earlier"),
            click.option("--sort", type=click.Choice(orders),
                         help=f"the order (default {listing.default}); '-' before it reverses it"),
        ]

        def wrapped(q, from_, to, sort, **rest):
            finding = {"q": q, "from": from_.date().isoformat() if from_ else None,
                       "to": to.date().isoformat() if to else None, "sort": sort}
            return command(finding={k: v for k, v in finding.items() if v}, **rest)

        wrapped.__name__, wrapped.__doc__ = command.__name__, command.__doc__
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return decorate
