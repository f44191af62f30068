"""Reshaping layers (the layer library grows here; see symcount/layers/base.py for the contract)."""

from __future__ import annotations

__all__: list[str] = []
