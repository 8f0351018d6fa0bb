"""Keras' Adam with TensorFlow's fused update kernel (no scikit-learn here).

Keras 3 writes Adam's update in backend-neutral ops: about twenty TensorFlow
operations per variable in the traced training step, which TensorFlow traces,
optimises and runs on every fit. ``tf.raw_ops.ResourceApplyAdam`` (public
TensorFlow API, the kernel tf.keras 2 used) is one operation per variable with
the same arithmetic (keras-team/keras#19992: Keras 3 dropped the raw-ops
updates Keras 2 had). A fit on small data then takes about 0.1 s less
(docs/performance.rst has the measurements). Should Keras rename Adam's
private state, the update falls back to Keras' own.

The update is given to the optimizer instance rather than to a subclass, so
that the optimizer stays a ``keras.optimizers.Adam`` (or ``AdamW``): its saved
form is Keras' own, and a saved network loads in plain Keras without skcnnrnn.
"""

import types


def fuse_adam(optimizer):
    """``optimizer``, given TensorFlow's fused Adam update if it is exactly a
    Keras Adam or AdamW (whose update is Adam's, its weight decay applied
    before) without ``amsgrad`` on the TensorFlow backend; else unchanged."""
    import keras

    if (
        type(optimizer) in (keras.optimizers.Adam, keras.optimizers.AdamW)
        and not optimizer.amsgrad
        and keras.backend.backend() == "tensorflow"
    ):
        optimizer.update_step = types.MethodType(_fused_update_step, optimizer)
    return optimizer


def _fused_update_step(self, gradient, variable, learning_rate):
    """``keras.optimizers.Adam.update_step`` as one ``ResourceApplyAdam``."""
    import tensorflow as tf

    keras_update = type(self).update_step  # the class's, not this instance's
    if isinstance(gradient, tf.IndexedSlices):  # the kernel takes dense ones
        return keras_update(self, gradient, variable, learning_rate)
    try:
        # Adam's own state, as Keras' update_step reads it (private names).
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
    except (AttributeError, LookupError):  # another Keras: its own update
        return keras_update(self, gradient, variable, learning_rate)
    dtype = variable.dtype
    step = tf.cast(self.iterations + 1, dtype)
    beta_1 = tf.cast(self.beta_1, dtype)
    beta_2 = tf.cast(self.beta_2, dtype)
    # Keras' update, alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) with
    # epsilon added to sqrt(v), is the kernel's documented formula.
    tf.raw_ops.ResourceApplyAdam(
        var=_handle(variable),
        m=_handle(m),
        v=_handle(v),
        beta1_power=tf.pow(beta_1, step),
        beta2_power=tf.pow(beta_2, step),
        lr=tf.cast(learning_rate, dtype),
        beta1=beta_1,
        beta2=beta_2,
        epsilon=tf.cast(self.epsilon, dtype),
        grad=tf.cast(gradient, dtype),
    )


def _handle(variable):
    """The TensorFlow resource of a Keras or TensorFlow variable."""
    import keras

    if isinstance(variable, keras.Variable):
        variable = variable.value
    return variable.handle
