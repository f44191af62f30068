"""Keras factories for the examples in docs/import.md (run by the tests): Keras' own MobileNetV2,
an LSTM text classifier and a layer called twice. Keras is imported inside each factory."""

from __future__ import annotations

from typing import Any


def mobilenet_v2(n: int, classes: int) -> Any:
    """Keras' MobileNetV2, untrained, on images of side 32*n (its padding before a stride-2
    convolution depends on the side's parity there: five halvings keep it fixed)."""
    import keras

    return keras.applications.MobileNetV2(input_shape=(32 * n, 32 * n, 3), weights=None, classes=classes)


def lstm_classifier(T: int, V: int, d: int, u: int) -> Any:
    import keras

    tokens = keras.Input(shape=(T,), dtype="int32")
    hidden = keras.layers.LSTM(u, name="lstm")(keras.layers.Embedding(V, d, name="embed")(tokens))
    return keras.Model(tokens, keras.layers.Dense(2, activation="softmax", name="classes")(hidden))


def shared(d: int) -> Any:
    import keras

    x = keras.Input(shape=(d,))
    layer = keras.layers.Dense(d, activation="relu", name="shared")
    return keras.Model(x, keras.layers.Dense(1, name="out")(layer(layer(x))))


def residual_stack(d: int, L: int) -> Any:
    """L pre-norm residual MLP blocks, made by a loop."""
    import keras

    x = keras.Input(shape=(d,))
    h = keras.layers.Dense(d, name="stem")(x)
    for _ in range(L):
        y = keras.layers.LayerNormalization()(h)
        y = keras.layers.Dense(2 * d, activation="relu")(y)
        h = keras.layers.Add()([h, keras.layers.Dense(d)(y)])
    return keras.Model(x, keras.layers.Dense(1, name="head")(h))
