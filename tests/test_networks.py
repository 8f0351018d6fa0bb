from functools import partial

import keras
import numpy as np
import pytest
from keras import layers

from skcnnrnn.networks import Head, build_cnn, build_cnn_gru, build_model, cnn_body


def _keras_class(layer):
    """The Keras layer ``layer`` is (or specialises, as ``UnrolledGRU``)."""
    return next(c for c in type(layer).__mro__ if c.__module__.startswith("keras"))


def _trainable_layers(model):
    return [
        (
            _keras_class(layer).__name__,
            [tuple(w.shape) for w in layer.trainable_weights],
        )
        for layer in model.layers
        if not isinstance(layer, (layers.InputLayer, layers.Normalization))
    ]


def _unwrap(model):
    """Trainable and random layers, TimeDistributed unwrapped: what the seed's
    per-frame wrappers and our folding of frames into the batch share."""
    return [
        getattr(layer, "layer", layer)
        for layer in model.layers
        if layer.trainable_weights or isinstance(layer, layers.Dropout)
    ]


def _same_function(ours, seed, x):
    """``ours`` with ``seed``'s weights computes what ``seed`` computes."""
    ours.set_weights(seed.get_weights())
    np.testing.assert_allclose(
        ours.predict_on_batch(x), seed.predict_on_batch(x), rtol=1e-5, atol=1e-6
    )


def test_default_cnn_with_valid_padding_is_the_seed_network():
    # Section 3.2 of the seed article, written as the article does.
    seed = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            layers.Conv2D(filters=16, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(filters=32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(units=128, activation="relu"),
            layers.Dropout(rate=0.5),
            layers.Dense(units=10, activation="softmax"),
        ]
    )
    ours = build_cnn((28, 28, 3), 10, padding="valid")
    assert _trainable_layers(ours) == _trainable_layers(seed)
    assert ours.output_shape == seed.output_shape


def test_default_cnn_gru_with_valid_padding_is_the_seed_network():
    # Section 3.5, with one label per sequence (the last GRU state).
    seed = keras.Sequential(
        [
            keras.Input((6, 28, 28, 3)),
            layers.TimeDistributed(layers.Conv2D(32, (3, 3), activation="relu")),
            layers.TimeDistributed(layers.MaxPooling2D(pool_size=(2, 2))),
            layers.TimeDistributed(layers.Flatten()),
            layers.GRU(units=128),
            layers.Dropout(rate=0.5),
            layers.Dense(units=10, activation="softmax"),
        ]
    )
    ours = build_cnn_gru((6, 28, 28, 3), 10, padding="valid")
    assert [_keras_class(x) for x in _unwrap(ours)] == [type(x) for x in _unwrap(seed)]
    x = np.random.default_rng(0).random((3, 6, 28, 28, 3), dtype=np.float32)
    _same_function(ours, seed, x)


def test_same_padding_accepts_a_single_pixel():
    model = build_cnn((1, 1, 1), 3)
    out = model.predict_on_batch(np.zeros((2, 1, 1, 1), np.float32))
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)


def test_valid_padding_on_small_images_is_a_clear_error():
    with pytest.raises(ValueError, match="padding='valid' shrinks 8x8 images"):
        build_cnn((8, 8, 1), 10, padding="valid")


def test_normalization_layer_uses_given_statistics():
    model = build_cnn((4, 4, 2), 2, input_mean=[10.0, 20.0], input_variance=[4.0, 9.0])
    norm = next(
        layer for layer in model.layers if isinstance(layer, layers.Normalization)
    )
    x = np.stack([np.full((4, 4), 12.0), np.full((4, 4), 29.0)], axis=-1)[None]
    np.testing.assert_allclose(norm(x.astype(np.float32)).numpy()[0, 0, 0], [1.0, 3.0])


@pytest.mark.parametrize("dtype", ["float64", "mixed_float16"])
def test_dtype_policy_keeps_a_float_head(dtype):
    model = build_cnn((6, 6, 1), 2, dtype=dtype)
    assert model.layers[-1].compute_dtype == (
        "float64" if dtype == "float64" else "float32"
    )


def test_per_step_cnn_gru_with_valid_padding_is_the_seed_network():
    # Section 3.5 exactly: return_sequences=True and a TimeDistributed head.
    seed = keras.Sequential(
        [
            keras.Input((6, 28, 28, 3)),
            layers.TimeDistributed(layers.Conv2D(32, (3, 3), activation="relu")),
            layers.TimeDistributed(layers.MaxPooling2D(pool_size=(2, 2))),
            layers.TimeDistributed(layers.Flatten()),
            layers.GRU(units=128, return_sequences=True),
            layers.Dropout(rate=0.5),
            layers.TimeDistributed(layers.Dense(units=10, activation="softmax")),
        ]
    )
    ours = build_cnn_gru((6, 28, 28, 3), 10, padding="valid", per_step=True)
    assert ours.output_shape == seed.output_shape == (None, 6, 10)
    assert [_keras_class(x) for x in _unwrap(ours)] == [type(x) for x in _unwrap(seed)]
    x = np.random.default_rng(0).random((3, 6, 28, 28, 3), dtype=np.float32)
    _same_function(ours, seed, x)


def test_per_step_outputs_depend_only_on_earlier_steps():
    model = build_cnn_gru((5, 3, 3, 1), 4, per_step=True, seed=0)
    x = np.random.default_rng(0).random((2, 5, 3, 3, 1), dtype=np.float32)
    changed = x.copy()
    changed[:, 3:] += 1.0  # only the last two steps
    before, after = model.predict_on_batch(x), model.predict_on_batch(changed)
    np.testing.assert_array_equal(before[:, :3], after[:, :3])
    assert not np.allclose(before[:, 3:], after[:, 3:])


@pytest.mark.parametrize("per_step", [False, True])
def test_auxiliary_head_is_a_second_linear_output(per_step):
    model = build_cnn_gru(
        (4, 3, 3, 1),
        5,
        per_step=per_step,
        auxiliary_outputs=2,
        seed=0,
    )
    out = model.predict_on_batch(np.zeros((7, 4, 3, 3, 1), np.float32))
    assert set(out) == {"target", "auxiliary"}
    assert out["target"].shape == ((7, 4, 5) if per_step else (7, 5))
    assert out["auxiliary"].shape == (7, 2)
    cnn = build_cnn((6, 6, 1), 3, auxiliary_outputs=1, seed=0)
    shapes = {name: tuple(tensor.shape) for name, tensor in cnn.output.items()}
    assert shapes == {"target": (None, 3), "auxiliary": (None, 1)}


def test_output_statistics_map_the_head_to_the_target_scale():
    def model(**statistics):
        body = partial(cnn_body, seed=0)
        head = Head(2, "linear", **statistics)
        return build_model((6, 6, 1), body, {"target": head}, seed=0)

    plain = model()
    scaled = model(mean=[50.0, -1.0], variance=[400.0, 0.25])
    x = np.random.default_rng(0).random((3, 6, 6, 1), dtype=np.float32)
    np.testing.assert_allclose(
        scaled.predict_on_batch(x)["target"],
        plain.predict_on_batch(x)["target"] * [20.0, 0.5] + [50.0, -1.0],
        rtol=1e-5,
    )


def test_a_body_of_one_vector_per_sample_cannot_label_steps():
    body = layers.TimeDistributed(layers.GlobalAveragePooling2D())
    heads = {"target": Head(3, per_step=True)}
    with pytest.raises(ValueError, match=r"one feature vector per step.*\(batch, 5,"):
        build_model(
            (5, 4, 4, 1), lambda x: layers.GRU(2)(body(x)), heads, sequence=True
        )


def _shapes(model):
    return {name: tuple(tensor.shape) for name, tensor in model.output.items()}


def test_feature_maps_are_flattened_for_the_heads():
    image = build_model((6, 6, 1), lambda x: layers.Conv2D(2, 3)(x), {"t": Head(3)})
    assert _shapes(image) == {"t": (None, 3)}
    frames = layers.TimeDistributed(layers.Conv2D(2, 3, padding="same"))
    heads = {"step": Head(3, per_step=True), "last": Head(2)}
    sequence = build_model((4, 5, 5, 1), frames, heads, sequence=True)
    assert _shapes(sequence) == {"step": (None, 4, 3), "last": (None, 2)}


def test_a_body_must_return_a_keras_tensor():
    with pytest.raises(TypeError, match="Keras tensor"):
        build_model((6, 6, 1), lambda x: np.zeros(3), {"t": Head(3)})
