"""workplan: keep an annual work plan on schedule."""

__version__ = "0.1.0"
