"""What every layer is: a small frozen dataclass that answers every question under one target.

A layer holds its hyperparameters as sympy expressions and answers, for an input shape and a
`Target` (the framework whose conventions count), with pure methods: `output_shape`, `weights`, and
one method per per-layer quantity the cost registry (symcount.costs) reads: `macs`, `extra_flops`,
`activations`, `kv_cache`, each with a default here. There is no build step and no mutable state;
the graph module places layers and folds them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import sympy

from .. import rules
from ..errors import ShapeError, SpecError, SymcountError
from ..graph import Node, Parts, Saved, Weight, call
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..values import as_expr, as_size, as_sizes, check_label, in_users_terms, users_terms_said

__all__ = [
    "Layer", "Weight", "Saved", "REGISTRY", "ACTIVATIONS", "TorchSpelling", "snake_case", "mark_torch", "torch_spelled",
    "activation_saved",
]  # fmt: skip

# Keras' activation names (keras.activations); they cost no parameters, but a typo is an error.
ACTIVATIONS = frozenset(
    {
        "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
        "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
        "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
        "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
        "tanh_shrink", "threshold",
    }
)  # fmt: skip

# What PyTorch's activation functions keep for their gradient: these their output, every other
# one its input (gelu, silu, leaky_relu, elu, hard_tanh...); softsign and log_sigmoid one more
# tensor of the same size (the denominator; the buffer of log_sigmoid's forward).
KEEP_OUTPUT = frozenset({"relu", "sigmoid", "tanh", "softmax", "log_softmax", "exponential"})
KEEP_TWO = frozenset({"softsign", "log_sigmoid"})


def activation_saved(
    activation: str | None, elements: sympy.Expr
) -> tuple[bool, bool, tuple[tuple[sympy.Expr, str], ...]]:
    """(keeps its input, keeps its output, extra tensors) of an activation on `elements` numbers."""
    if activation in (None, "linear"):
        return False, False, ()
    if activation in KEEP_OUTPUT:
        return False, True, ()
    return True, False, ((elements, "float"),) if activation in KEEP_TWO else ()


# The example input of a layer of spatial rank 1, 2 or 3 in the generated reference (Keras'
# layout, channels last; the reference's PyTorch notes say where PyTorch differs).
SPATIAL_EXAMPLES = {1: ("L", "C"), 2: ("H", "W", "C"), 3: ("D", "H", "W", "C")}

# spec key (Keras class name in snake_case) -> layer class; filled by Layer.__init_subclass__.
REGISTRY: dict[str, type[Layer]] = {}


# PyTorch's class names that are not the CamelCase of their snake_case spelling.
TORCH_CLASS_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def torch_class_name(torch_name: str) -> str:
    """PyTorch's class for a spec spelling: `max_pool2d` -> `MaxPool2d`, `lstm` -> `LSTM`."""
    return TORCH_CLASS_NAMES.get(torch_name) or "".join(p[:1].upper() + p[1:] for p in torch_name.split("_"))


def snake_case(class_name: str) -> str:
    """Keras' snake_case of a class name: `Conv2D` -> `conv2d`, `MaxPooling2D` -> `max_pooling2d`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class TorchSpelling(NamedTuple):
    """A PyTorch module's constructor as a spec reads it (see `Layer.torch_positional`)."""

    positional: tuple[str, ...]
    defaults: Mapping[str, Any]
    args: Mapping[str, str]
    implied: Mapping[str, Any]
    lone: str
    module: str  # PyTorch's class name


@dataclass(frozen=True)
class Layer:
    """Base class of every layer.

    Subclasses declare their hyperparameters as dataclass fields and list which of them are sizes
    in `sizes` (converted to positive-integer expressions and checked) or tuples of sizes in
    `size_tuples` (converted to `rank` sizes). `name` and `trainable` are keyword-only, as in Keras.
    A subclass that adds or changes no field (Conv2D over _Conv: only class variables) is no
    dataclass of its own: it inherits the generated methods, and start-up is not spent making them
    again.
    """

    name: str | None = field(default=None, kw_only=True)
    trainable: bool = field(default=True, kw_only=True)
    # What the input's channel/feature axis must be, when the user states it, as PyTorch asks
    # (`in_features`, `in_channels`, `num_features`...). Checked against the real input.
    channels_in: Any = field(default=None, kw_only=True)
    # The name of another layer whose first weight this layer's first weight is (GPT-2's output
    # head and its token embedding): counted once, at that layer.
    tie: str | None = field(default=None, kw_only=True)

    kind: ClassVar[str] = ""
    sizes: ClassVar[tuple[str, ...]] = ()
    size_tuples: ClassVar[tuple[str, ...]] = ()
    rank: ClassVar[int] = 1
    registered: ClassVar[bool] = True
    # A merge (Add, Concatenate...) takes a tuple of input shapes instead of one shape.
    merges: ClassVar[bool] = False
    # A layer over channels and spatial axes (convolution, pooling, BatchNorm...) finds its
    # channels where the target keeps them (`Target.split`: first in PyTorch, last in Keras); the
    # others (Dense/Linear, LayerNorm, recurrent, attention) read the last axis in both.
    spatial_layout: ClassVar[bool] = False
    # How many tensors a layer that is no merge may be called on: attention takes a query, a value
    # and a key (cross-attention), and then its methods get the tuple of their shapes.
    most_inputs: ClassVar[int] = 1
    # True when every check this layer makes on sizes that wait for values notes a rule (see
    # symcount.rules): the explorer then evaluates those rules over a grid instead of folding the
    # model at each point. Set only after reading every check the layer (and its helpers) makes.
    rules_noted: ClassVar[bool] = False

    # For the generated layer reference (`symcount layers`, docs/layers.md): arguments and an input
    # shape in symbols that show the formula, a one-line derivation of each term, and how PyTorch
    # differs (empty when it does not).
    example_args: ClassVar[dict[str, Any]] = {}
    example_input: ClassVar[tuple[str, ...]] = ("n",)
    derivation: ClassVar[str] = ""
    torch_difference: ClassVar[str] = ""

    # PyTorch spellings accepted in `framework: torch` specs: the module's name in snake_case
    # (`linear`) and its arguments mapped to ours (`out_features` -> `units`; an input-side argument
    # such as `in_features` maps to `channels_in`, which is checked against the input shape).
    # `torch_positional` is PyTorch's positional order, which a list in a torch spec follows
    # (`conv2d: [3, 16, 3]` is in_channels, out_channels, kernel_size); empty when our fields
    # already are in PyTorch's order (the PyTorch-only layers).
    torch_name: ClassVar[str] = ""
    torch_args: ClassVar[dict[str, str]] = {}
    torch_positional: ClassVar[tuple[str, ...]] = ()
    # PyTorch's constructor exactly: `torch_positional` is every parameter of the module's
    # `__init__` in order (device and dtype aside) and `torch_defaults` the default of each that
    # has one; a test compares both with `inspect.signature` of the installed class. Under
    # `framework: torch` an argument not given takes PyTorch's default; one without a default must
    # be given when the key is PyTorch's spelling, except the input-side ones (`channels_in`),
    # which the input provides. An argument that `torch_args` maps to "" changes no count
    # (`padding_mode`, `inplace`): accepted and dropped. `torch_implied` are our fields' values
    # under torch whatever the spelling (a recurrent module returns its whole sequence);
    # `torch_lone` the argument a lone value gives under a PyTorch spelling (default: our first
    # field); `torch_functional` other names of the module as keys (`torch.nn.functional`'s).
    torch_defaults: ClassVar[dict[str, Any]] = {}
    torch_implied: ClassVar[dict[str, Any]] = {}
    torch_lone: ClassVar[str] = ""
    # PyTorch's arguments (beside those mapped to channels_in) that the input can give.
    torch_input_side: ClassVar[tuple[str, ...]] = ()
    torch_functional: ClassVar[tuple[str, ...]] = ()
    # PyTorch's class name (`Conv2d`, `Linear`), which tables show under `framework: torch`;
    # derived from `torch_name`, empty when PyTorch has no such module.
    torch_class: ClassVar[str] = ""
    # A layer written with PyTorch's own names and argument order (`batch_norm2d: 64`) that Keras
    # specs do not accept; and, on a Keras layer, the names of such PyTorch twins (for the docs).
    torch_only: ClassVar[bool] = False
    torch_counterpart: ClassVar[str] = ""
    # Keras' signature: the named parameters of the Keras class's __init__, in order and under
    # Keras' names, which a list in a Keras spec follows (`conv2d: [8, 3, 1, valid,
    # channels_last]`); a test compares it with `inspect.signature` of the installed class. A name
    # that is no field is renamed by `aliases`, or changes no count (`settle_options`), or is
    # accepted only as None. Empty: our fields are Keras' order.
    keras_positional: ClassVar[tuple[str, ...]] = ()
    # Keras' other names of the class (`Convolution2D` for Conv2D), accepted as keys under Keras
    # beside its class name (see `keys`).
    class_aliases: ClassVar[tuple[str, ...]] = ()
    # Arguments that are layers themselves (Bidirectional's `layer`): a spec builds them first.
    nested: ClassVar[tuple[str, ...]] = ()
    # Keras spellings a field could not keep (a field cannot be called `output_shape`, which is a
    # method): spec argument -> our field, accepted under every framework.
    aliases: ClassVar[dict[str, str]] = {}
    # Options another layer has, and which one: an error then names it instead of a guess.
    elsewhere: ClassVar[dict[str, str]] = {}

    @classmethod
    def torch_spelling(cls, key: str) -> TorchSpelling:
        """How a spec key of this class reads under `framework: torch` (one class may stand for
        several PyTorch modules, each its own key and signature: the activation table)."""
        return TorchSpelling(
            cls.torch_positional,
            cls.torch_defaults,
            cls.torch_args,
            cls.torch_implied,
            cls.torch_lone,
            cls.torch_class,
        )

    @classmethod
    def keys(cls, torch: bool) -> tuple[str, ...]:
        """The class names a spec may use as keys under a framework (beside the snake_case keys):
        Keras' class name and aliases; PyTorch's module (its own classes' names)."""
        if torch:
            return (cls.torch_class,) if cls.torch_class else ()
        return () if cls.torch_only else (cls.__name__, *cls.class_aliases)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_"):
            return
        cls.kind = cls.__dict__.get("kind") or snake_case(cls.__name__)  # Keras' ReLU's key is relu
        if cls.torch_only:  # PyTorch's own class: its name is PyTorch's (LPPool1d, not LpPool1d)
            cls.torch_class = cls.__dict__.get("torch_class") or cls.__name__
        else:
            cls.torch_class = torch_class_name(cls.torch_name) if cls.torch_name else ""
        if "rank" in cls.__dict__ and "example_input" not in cls.__dict__:
            cls.example_input = SPATIAL_EXAMPLES[cls.rank]
        if cls.__dict__.get("registered", True):
            REGISTRY[cls.kind] = cls

    def __post_init__(self) -> None:
        with rules.context(lambda text, _: f"{type(self).__name__}: {text}"):
            self._checked()

    def _checked(self) -> None:
        try:
            if self.name is not None:
                check_label(self.name)
            if self.channels_in is not None:
                self._set("channels_in", as_size(self.channels_in, "channels_in"))
            for item in dataclasses.fields(self):  # every switch is true or false, never None or 1
                if item.type in ("bool", bool) and not isinstance(getattr(self, item.name), bool):
                    raise SpecError(
                        f"expected true or false. Received: {item.name}={getattr(self, item.name)!r}"
                    )
            optional = {f.name for f in dataclasses.fields(self) if f.default is None}
            for name in (*self.sizes, *self.size_tuples):
                value = getattr(self, name)
                if value is None:
                    if name not in optional:
                        raise SpecError(f"expected a positive integer. Received: {name}=None")
                elif name in self.sizes:
                    self._set(name, as_size(value, name))
                else:
                    self._set(name, as_sizes(value, self.rank, name))
            if self.tie is not None and not isinstance(self.tie, str):
                raise SpecError(f"tie names another layer. Received: tie={self.tie!r}")
            if not isinstance(self.trainable, bool):
                raise SpecError(f"expected true or false. Received: trainable={self.trainable!r}")
            self.validate()
        except SymcountError as error:
            raise error.with_context(type(self).__name__) from None

    def __call__(self, inputs: Any, *, name: str | None = None) -> Node:
        """Apply the layer to a tensor (or a list of tensors): a node of a graph, as in Keras."""
        return call(self, inputs, name)

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def validate(self) -> None:
        """Check hyperparameters that are not sizes (padding names, activations...)."""

    # The questions every layer answers, each for one input and under one target.

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        """The shape this layer produces from `input_shape` (batch axis excluded)."""
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        """The weight tensors this layer creates for `input_shape`, each tagged with its kind."""
        return ()

    # Per-layer quantities of one forward pass on one example (the registry in symcount.costs
    # turns them into costs; the batch is a factor it applies). 1 MAC = 2 FLOPs; `macs` counts the
    # multiply-accumulates of matrix products and convolutions (what torch's FlopCounterMode
    # counts, halved); everything else (bias adds, activations, normalisation, softmax, pooling,
    # merges) is `extra_flops`, which a FLOP count includes only when asked.

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        """Multiply-accumulates of one forward pass on one example."""
        return sympy.Integer(0)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        """Floating-point operations outside multiply-accumulates, for one example."""
        return sympy.Integer(0)

    def activations(self, input_shape: Shape, target: Target) -> sympy.Expr:
        """Elements the forward pass produces for one example: the output."""
        return product(self.output_shape(input_shape, target))

    def kv_cache(self, input_shape: Shape, target: Target) -> sympy.Expr:
        """Numbers kept between decoding steps for one example: an attention layer's keys and
        values for its tokens of context; nothing for other layers."""
        return sympy.Integer(0)

    def inactive_params(self, input_shape: Shape, target: Target) -> sympy.Expr:
        """Parameters a token leaves idle in one forward pass: the experts a router did not pick
        in a mixture of experts; nothing for other layers."""
        return sympy.Integer(0)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        """What one call keeps for the backward pass of a training step, per example, as PyTorch's
        implementation keeps it (see `Saved`). The default is conservative: a layer with weights
        keeps its inputs (a product needs them for its weights' gradient); one without keeps
        nothing (reshapes, additions, concatenations). `attention` is "eager" or "sdpa" (what an
        attention layer's kernel keeps)."""
        several = self.merges or (input_shape and isinstance(input_shape[0], tuple))
        if not self.weights(input_shape, target):
            return Saved()
        return Saved(inputs=("float",) * (len(input_shape) if several else 1))

    def parts(self, input_shape: Shape, target: Target) -> Parts | None:
        """For a layer made of others (a repeated block): (multiplier, rows) pairs whose
        quantities add up to this layer's; None for a layer that answers itself."""
        return None

    def explain(self, input_shape: Shape, target: Target) -> str | None:
        """Where this layer's parameter count comes from, in the lesson's words ("784 inputs x 10
        units + 10 biases"), or None to let each weight speak for itself."""
        return None

    # Helpers for subclasses and models.

    def expressions(self) -> Iterator[sympy.Expr]:
        """Every expression among the hyperparameters (for free symbols and substitution)."""
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            for part in value if isinstance(value, tuple) else (value,):
                if isinstance(part, sympy.Expr):
                    yield part

    def xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        """This layer with symbols replaced; the new values are checked as if given at first, and
        a refusal names the values the user gave (`n3=0`), not what the layer made of them."""
        written = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        with rules.context(lambda text, v: users_terms_said(text, written, mapping, v)):
            try:
                return self._xreplace(mapping)
            except SymcountError as error:
                raise in_users_terms(error, written, mapping) from None

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        changes = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, sympy.Expr):
                changes[item.name] = value.xreplace(mapping)
            elif isinstance(value, tuple) and any(isinstance(v, sympy.Expr) for v in value):
                changes[item.name] = tuple(
                    v.xreplace(mapping) if isinstance(v, sympy.Expr) else v for v in value
                )
        if not changes:
            return self
        return (
            mark_torch(dataclasses.replace(self, **changes))
            if torch_spelled(self)
            else dataclasses.replace(self, **changes)
        )

    def check_channels(self, input_shape: Shape, target: Target) -> None:
        """Raise if the user stated `channels_in` and the input's channels (features) differ."""
        if self.channels_in is None or not input_shape:
            return
        if self.spatial_layout:
            index, where = target.channel_index(len(input_shape)), "channel axis"
        else:
            index, where = len(input_shape) - 1, "last axis"
        if certainly_differ(input_shape[index], self.channels_in):
            raise ShapeError(
                f"the input {format_shape(input_shape)} has {input_shape[index]} channels/features "
                f"on its {where}, but the layer was given {self.channels_in}"
            )
        if sympy.expand(input_shape[index] - self.channels_in) != 0:
            # Undecided until values come (d against 32): the formula would be in the input's
            # terms while PyTorch's weight is in the stated ones, so say so now, not at count().
            raise ShapeError(
                f"the input {format_shape(input_shape)} has {input_shape[index]} channels/features "
                f"on its {where}, but the layer was given {self.channels_in}: write the same size "
                f"in both (the input's {input_shape[index]} as the layer's, or the layer's in the input)"
            )

    def frozen(self, kind: str) -> str:
        """The kind a weight of this layer really has: a frozen layer trains nothing."""
        return kind if self.trainable or kind == "buffer" else "non_trainable"

    def weight(self, name: str, shape: Shape, kind: str = "trainable") -> Weight:
        return Weight(name, tuple(shape), self.frozen(kind))

    def describe(self) -> str:
        """A short, human description for tables: the class name and its main hyperparameters."""
        return type(self).__name__


# Layers made by PyTorch's constructors (symcount.pytorch) carry this mark: a model holding one
# counts as PyTorch. Not a field, so equality and the spec's view of a layer are unchanged.
_TORCH_MARK = "_symcount_torch_spelling"


def mark_torch(layer: Layer) -> Layer:
    """`layer`, marked as written in PyTorch's spelling (`Conv2d(3, 16, 3)`)."""
    object.__setattr__(layer, _TORCH_MARK, True)
    return layer


def torch_spelled(layer: Any) -> bool:
    """True for a layer made by a PyTorch constructor (`Conv2d`, `Linear`). The PyTorch-only
    classes (`BatchNorm2d`...) are symcount's own and follow the model's target, as before."""
    return bool(getattr(layer, _TORCH_MARK, False))


# Keras options that change no count: what initializes, regularizes or constrains a weight, and
# switches of how a layer runs or trains. A spec may give them (copied from a model's code); they
# are checked for their kind of value, then dropped.
INERT_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
INERT_SWITCHES = frozenset(
    {"flash_attention", "synchronized", "zero_output_for_mask", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "antialias"}
)  # fmt: skip
INERT_NUMBERS = frozenset({"seed", "lora_alpha", "renorm_momentum", "fill_value", "logit_soft_cap"})
INERT_WORDS = frozenset({"fill_mode", "reverse_dtype", "dtype"})


def settle_options(
    cls: type[Layer], kwargs: dict[str, Any], target: Target, keep: Collection[str] = ()
) -> dict[str, Any]:
    """The arguments without the Keras options of `cls` that change no count, once checked: an
    initializer, regularizer or constraint (a name, a mapping or None), a data_format equal to
    the spec's layout, a seed... A Keras option symcount has no field for and which could change
    a count is accepted only as None. The names in `keep` (PyTorch's arguments, under torch) are
    left as they are."""
    fields = {item.name for item in dataclasses.fields(cls)}
    kept = {}
    for name, value in kwargs.items():
        if name in fields or name not in cls.keras_positional or name in cls.aliases or name in keep:
            kept[name] = value
            continue
        try:
            _check_inert(name, value, target)
        except SymcountError as error:
            raise error.with_context(cls.__name__) from None
    return kept


def _check_inert(name: str, value: Any, target: Target) -> None:
    if name == "data_format":
        layout = "channels_first" if target.channels_first else "channels_last"
        if value is not None and value != layout:
            raise SpecError(
                f"data_format must be None or {layout!r}, the layout of a framework: {target} spec. "
                f"Received: data_format={value!r}"
            )
    elif name.endswith(INERT_SUFFIXES):
        if value is not None and not isinstance(value, (str, Mapping)):
            raise SpecError(f"expected a name, a mapping or None. Received: {name}={value!r}")
    elif name in INERT_SWITCHES:
        if value is not None and not isinstance(value, bool):
            raise SpecError(f"expected true, false or None. Received: {name}={value!r}")
    elif name in INERT_NUMBERS:
        if value is not None and (isinstance(value, bool) or not as_expr(value, name).is_number):
            raise SpecError(f"expected a number or None. Received: {name}={value!r}")
    elif name in INERT_WORDS:
        if value is not None and not isinstance(value, str):
            raise SpecError(f"expected a name or None. Received: {name}={value!r}")
    elif value is not None:
        raise SpecError(f"symcount does not count {name} other than None. Received: {name}={value!r}")


def keras_names(names: str) -> tuple[str, ...]:
    """A Keras signature written as its parameters' names, space-separated (`keras_positional`)."""
    return tuple(names.split())


def check_flag(value: Any, what: str) -> None:
    """Raise a `SpecError` naming `what` unless `value` is true or false."""
    if not isinstance(value, bool):
        raise SpecError(f"expected true or false. Received: {what}={value!r}")


def check_divisible(
    what: str, value: sympy.Expr, by: str, divisor: sympy.Expr, error: type[SymcountError] = SpecError
) -> None:
    """Raise `error` naming both values when `divisor` certainly does not divide `value` (groups
    of a convolution or a normalization)."""
    remainder = value % divisor
    if remainder.is_number and remainder != 0:
        raise error(f"{what} must be divisible by {by}. Received: {what}={value}, {by}={divisor}")
    if not remainder.is_number:
        rules.note(
            "divides",
            value,
            divisor,
            says=lambda v: (
                f"{what} must be divisible by {by}. Received: {what}={v(value)}, {by}={v(divisor)}"
            ),
        )


def check_choice(value: Any, what: str, choices: tuple[str, ...] | frozenset[str]) -> None:
    """Raise a `SpecError` naming `what` unless `value` is one of `choices`."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in sorted(choices))
        raise SpecError(f"{what} must be one of {options}. Received: {what}={value!r}")


def check_activation(value: Any) -> None:
    if value is not None and (not isinstance(value, str) or value not in ACTIVATIONS):
        check_choice(value, "activation", ACTIVATIONS)
    if value == "glu":  # the real output is half as wide as the layer says (Keras' own shape too)
        raise SpecError(
            "GLU halves the last axis, so as a layer's activation it would give another width than the "
            "layer's: apply it as its own layer (`activation: glu`). Received: activation='glu'"
        )


def require_rank(
    layer: Layer, input_shape: Shape, rank: int | None = None, at_least: int | None = None
) -> None:
    """Raise a `ShapeError` unless the input has `rank` axes (or at least `at_least`)."""
    n = len(input_shape)
    if rank is not None and n != rank:
        raise ShapeError(
            f"{type(layer).__name__} expects an input with {rank} axes (batch excluded). "
            f"Received: input shape {format_shape(input_shape)}"
        )
    if at_least is not None and n < at_least:
        raise ShapeError(
            f"{type(layer).__name__} expects an input with at least {at_least} axes (batch "
            f"excluded). Received: input shape {format_shape(input_shape)}"
        )


def as_number(value: Any, what: str, low: float = float("-inf")) -> float:
    """A plain number at least `low` (a slope, a threshold, a mask value)."""
    return as_float(value, what, low, float("inf"))


def as_float(value: Any, what: str, low: float = 0.0, high: float = 1.0) -> float:
    """A plain number for non-size arguments such as a dropout rate."""
    expr = as_expr(value, what)
    if not expr.is_number:
        raise SpecError(f"expected a number. Received: {what}={value!r}")
    number = float(expr)
    if not low <= number <= high:
        raise SpecError(f"expected a number in [{low}, {high}]. Received: {what}={value!r}")
    return number


def as_amount(value: Any, what: str) -> sympy.Expr:
    """A padding or cropping amount: a non-negative integer (zero is allowed, unlike a size)."""
    expr = as_expr(value, what)
    if expr.is_number:
        bad = not expr.is_integer or bool(expr.is_negative)
    else:
        bad = expr.is_integer is False or expr.is_nonnegative is False
    if bad:
        raise SpecError(f"expected a non-negative integer. Received: {what}={expr}")
    if not expr.is_number:
        rules.note(
            "amount", expr, says=lambda v: f"expected a non-negative integer. Received: {what}={v(expr)}"
        )
    return expr


def half(size: sympy.Expr, where: str) -> sympy.Expr:
    """Half of the axis GLU splits in two, which must be even."""
    remainder = size % 2
    if remainder.is_number and remainder != 0:
        raise ShapeError(f"GLU splits {where} in two halves, so it must be even. Received: {size}")
    if not remainder.is_number:
        rules.note("divides", size, sympy.Integer(2))
    return size / 2
