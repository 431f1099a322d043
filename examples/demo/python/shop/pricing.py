"""Discounts: each rule says how much comes off a total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Discount(Protocol):
    def apply(self, total_cents: int) -> int: ...


@dataclass
class PercentOff:
    percent: int

    def apply(self, total_cents: int) -> int:
        return total_cents - total_cents * self.percent // 100


@dataclass
class FixedOff:
    cents: int

    def apply(self, total_cents: int) -> int:
        return max(0, total_cents - self.cents)


def best_price(total_cents: int, discounts: list[Discount]) -> int:
    """The lowest price any one discount gives."""
    return min([total_cents] + [discount.apply(total_cents) for discount in discounts])
