"""Command-line entry points (each a thin shell around a library function)."""
