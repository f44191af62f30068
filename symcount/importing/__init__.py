"""Bringing models in from PyTorch and Keras: building them without weights, counting as the
framework does, exact polynomial fits, and (in later modules) reading their layers into specs.

This package sits above the model and the spec and below the CLI; the core never imports it.
"""
