"""One-line checks of ranker hyperparameters, shared by every model.

Each check returns the value (as its type) or raises a ``ValueError`` whose one line names the
config key, the value and the allowed range, so a bad override is refused at start-up.

Example:
    >>> check_int("model.n_layers", 2), check_probability("model.mask_prob", 0.2)
    (2, 0.2)
    >>> check_rate("model.dropout", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: model.dropout=1.0 must be in [0, 1)
"""

from __future__ import annotations


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_int(key: str, value: object, low: int = 1) -> int:
    """``value`` if it is an integer ``>= low`` (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{key}={value!r} must be an integer >= {low}")
    return value


def check_positive(key: str, value: object, what: str = "") -> float:
    """``value`` as a float if it is a number ``> 0`` (``what`` says what it is, e.g. the
    optimiser's learning rate)."""
    if not _is_number(value) or not float(value) > 0.0:  # type: ignore[arg-type]
        raise ValueError(f"{key}={value!r} must be > 0" + (f" ({what})" if what else ""))
    return float(value)  # type: ignore[arg-type]


def check_rate(key: str, value: object) -> float:
    """``value`` as a float if it lies in ``[0, 1)`` (dropout)."""
    if not _is_number(value) or not 0.0 <= float(value) < 1.0:  # type: ignore[arg-type]
        raise ValueError(f"{key}={value!r} must be in [0, 1)")
    return float(value)  # type: ignore[arg-type]


def check_probability(key: str, value: object, *, zero: bool = False) -> float:
    """``value`` as a float if it lies in ``(0, 1]`` (``[0, 1]`` with ``zero=True``)."""
    ok = _is_number(value) and ((zero and value == 0) or 0.0 < float(value) <= 1.0)  # type: ignore[arg-type]
    if not ok:
        raise ValueError(
            f"{key}={value!r} must be a probability in {'[0, 1]' if zero else '(0, 1]'}"
        )
    return float(value)  # type: ignore[arg-type]


def check_choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{key}={value!r} is not one of {choices}")
    return str(value)
