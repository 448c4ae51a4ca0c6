"""Money is an integer amount in the currency's minor unit plus an ISO 4217 code. Never floats."""
from decimal import Decimal

# ISO 4217 exponents that are not 2; every other code has two decimal places.
MINOR_UNIT_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "BRL": "R$", "INR": "₹"}


def exponent(currency: str) -> int:
    return MINOR_UNIT_EXPONENTS.get((currency or "").upper(), 2)


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)).scaleb(-exponent(currency))


def from_decimal(amount: Decimal | str, currency: str) -> int:
    """Major units as typed by a person ("12.50") to minor units; refuses more decimals than the currency has."""
    value = Decimal(str(amount).strip())
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {exponent(currency)} decimal places.")
    return int(scaled)


def format_money(amount_minor, currency: str) -> str:
    if amount_minor is None:
        return "—"
    currency = (currency or "").upper()
    places = exponent(currency)
    value = to_decimal(amount_minor, currency)
    sign = "−" if value < 0 else ""
    number = f"{abs(value):,.{places}f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"
