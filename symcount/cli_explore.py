"""The formula explorer's commands: registered on the `symcount` group by importing this module."""

from __future__ import annotations
