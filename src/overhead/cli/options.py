"""Argument types the commands share (no imports of the commands: any of them may use these)."""

from __future__ import annotations

import argparse
import math

__all__ = ["bounded_int", "finite_float"]


def finite_float(text: str) -> float:
    """An option's number: a finite decimal (``nan``, ``inf`` and ``1e999`` are refused by argparse, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite number")
    return value


def bounded_int(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        if not text.strip().lstrip("+-").isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number from {low:,} to {high:,}")
        return int(text)

    parse.__name__ = "whole number"
    return parse
