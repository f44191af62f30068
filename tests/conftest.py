"""Shared test setup: Keras runs on the torch backend; hypothesis has a CI profile."""

import os
import sys
import types

os.environ.setdefault("KERAS_BACKEND", "torch")

# torchvision 0.28.0, the only wheel beside torch 2.13.0 here, is a CUDA build whose C operators do
# not load on the CPU torch; its model code is pure Python. Hugging Face transformers imports it
# when present, so without this stub every transformers model fails to import.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))

from hypothesis import HealthCheck, settings  # noqa: E402 (after the torchvision stub)

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
