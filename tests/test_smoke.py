"""The lesson's two networks, end to end from Python (the full suite grows beside this)."""

from symcount import Conv2D, Dense, Flatten, Input, Sequential, symbols


def test_lesson_cnn_from_the_issue() -> None:
    H, W, C, f, k = symbols("H W C f k")
    cnn = Sequential(
        Input(H, W, C), Conv2D(f, k, padding="same"), Conv2D(f, k, padding="same"), Flatten(), Dense(3)
    )
    assert cnn.count(H=28, W=28, C=1, f=10, k=3) == 24533
    assert cnn.subs(k=3).params == 9 * C * f + 3 * H * W * f + 9 * f**2 + 2 * f + 3
