"""Network bodies of a user's own, at module level so that estimators pickle."""

import keras
from keras import layers


def small_conv_body(inputs, *, width=8):
    """Images: one convolution and pooling; build_model flattens the map."""
    x = layers.Conv2D(width, 3, padding="same", activation="relu")(inputs)
    return layers.MaxPooling2D(padding="same")(x)


def conv_dense_body(inputs, *, width=16, units=64):
    """Images: one convolution, then a dense layer on the flattened map."""
    x = layers.Conv2D(width, 3, padding="same", activation="relu")(inputs)
    return layers.Dense(units, activation="relu")(layers.Flatten()(x))


def residual_conv_body(inputs, *, width=8):
    """Images: a convolution and a residual block, then pooling."""
    x = layers.Conv2D(width, 3, padding="same", activation="relu")(inputs)
    shortcut = x
    x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
    x = layers.Add()([x, shortcut])
    return layers.Flatten()(layers.MaxPooling2D(padding="same")(x))


def small_gru_body(inputs, *, units=64, seed=None):
    """Sequences: each frame flattened, then a GRU returning every step."""
    x = layers.TimeDistributed(layers.Flatten())(inputs)
    initializer = keras.initializers.GlorotUniform(seed=seed)
    return layers.GRU(units, return_sequences=True, kernel_initializer=initializer)(x)


def last_state_gru_body(inputs, *, units=16):
    """Sequences: a GRU returning its last state only (no per-step features)."""
    return layers.GRU(units)(layers.TimeDistributed(layers.Flatten())(inputs))
