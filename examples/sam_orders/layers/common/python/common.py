"""Shared by the functions through the CommonLayer layer."""


def money(amount: float, currency: str) -> str:
    return f"{amount:.2f} {currency}"
