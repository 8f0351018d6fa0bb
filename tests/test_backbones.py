"""Pretrained bodies (keras.applications, saved .keras networks) and
freeze_body: frozen layers keep their weights, warm_start unfreezes them."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from skcnnrnn import CNNClassifier, CNNGRUSequenceClassifier
from skcnnrnn.backbones import application_body, body_layers, saved_body


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images[:120], data.target[:120]


def _weights(model):
    return [[w.copy() for w in layer.get_weights()] for layer in body_layers(model)]


def _same(a, b):
    pairs = zip(a, b, strict=True)
    return [all(map(np.array_equal, p, q)) for p, q in pairs]


@pytest.mark.parametrize(
    "freeze, frozen", [(True, [True] * 3), (1, [True, False, False])]
)
def test_frozen_body_layers_keep_their_initial_weights(digits, freeze, frozen):
    X, y = digits
    fits = [
        CNNClassifier(epochs=epochs, freeze_body=freeze, random_state=0).fit(X, y)
        for epochs in (1, 2)
    ]
    # Same seed, same initial weights: a frozen layer is the same after one
    # epoch as after two; a trained one is not.
    assert _same(*(_weights(fit.model_) for fit in fits)) == frozen
    head = [fit.model_.get_layer("head_target").get_weights()[0] for fit in fits]
    assert not np.array_equal(*head)


def test_warm_start_unfreezes_at_a_lower_learning_rate(digits):
    X, y = digits
    clf = CNNClassifier(epochs=1, freeze_body=True, warm_start=True, random_state=0)
    clf.fit(X, y)
    before = _weights(clf.model_)
    clf.set_params(freeze_body=False, learning_rate=1e-4).fit(X, y)
    assert not any(_same(before, _weights(clf.model_)))
    assert all(layer.trainable for layer in body_layers(clf.model_))
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(1e-4)
    assert clf.n_iter_ == 2


class _Fail(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("stopped by the test")


def test_a_failed_unfreezing_leaves_the_fitted_network_as_it_was(digits):
    X, y = digits
    clf = CNNClassifier(epochs=1, freeze_body=True, warm_start=True, random_state=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    with pytest.raises(RuntimeError, match="stopped by the test"):
        clf.set_params(freeze_body=False, callbacks=[_Fail()]).fit(X, y)
    assert not any(layer.trainable for layer in body_layers(clf.model_))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    # Unfrozen later, it still trains the body.
    clf.set_params(callbacks=None).fit(X, y)
    assert all(layer.trainable for layer in body_layers(clf.model_))


@pytest.fixture(scope="module")
def mobilenet_weights(tmp_path_factory):
    """A MobileNetV3Small without its top, saved as a local weights file (the
    stand-in for ImageNet's: these machines have no internet)."""
    net = keras.applications.MobileNetV3Small(
        include_top=False, weights=None, input_shape=(32, 32, 3), minimalistic=True
    )
    path = tmp_path_factory.mktemp("weights") / "mobilenet.weights.h5"
    net.save_weights(path)
    return str(path), [w.copy() for w in net.get_weights()]


def _on_mobilenet(digits, path):
    """The digits at 32 x 32, 0-255, and the parameters of a one-epoch
    CNNClassifier on the MobileNetV3Small of the weights file ``path``."""
    images = np.repeat(np.repeat(digits[0], 4, axis=1), 4, axis=2)[..., None] * 16
    params = dict(
        network=application_body,
        network__weights=path,
        network__minimalistic=True,
        epochs=1,
        random_state=0,
    )
    return images, params


def test_an_application_body_from_a_local_weights_file_frozen_and_saved(
    digits, mobilenet_weights, tmp_path
):
    path, weights = mobilenet_weights
    images, params = _on_mobilenet(digits, path)
    clf = CNNClassifier(**params, freeze_body=True)
    clf.fit(images, digits[1])  # one channel, repeated to three
    backbone = clf.model_.get_layer("MobileNetV3Small")
    for loaded, saved in zip(backbone.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(loaded, saved)  # frozen: as in the file
    clf.model_.save(tmp_path / "net.keras")
    reloaded = keras.saving.load_model(tmp_path / "net.keras")
    np.testing.assert_allclose(
        reloaded.predict(images[:8].astype(np.float32), verbose=0)["target"],
        clf.predict_proba(images[:8]),
        atol=1e-6,
    )


def test_a_saved_network_as_body_from_one_of_its_layers(digits, tmp_path):
    X, y = digits
    net = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, name="conv"),
            keras.layers.Flatten(name="features"),
            keras.layers.Dense(2, name="old_output"),
        ]
    )
    net.save(tmp_path / "net.keras")
    clf = CNNClassifier(
        network=saved_body,
        network__path=str(tmp_path / "net.keras"),
        network__layer="features",
        freeze_body=True,
        epochs=1,
        random_state=0,
    ).fit(X, y)
    names = [layer.name for layer in body_layers(clf.model_)]
    assert names == ["conv"]  # the saved output layer is not used
    conv = body_layers(clf.model_)[0].get_weights()
    for got, saved in zip(conv, net.get_layer("conv").get_weights(), strict=True):
        np.testing.assert_array_equal(got, saved)


def test_an_application_body_for_sequences_and_a_bad_name(digits):
    X, y = digits
    frames = np.repeat(np.repeat(X[:24], 4, axis=1), 4, axis=2).reshape(12, 2, 32, 32)
    clf = CNNGRUSequenceClassifier(
        network=application_body,
        network__minimalistic=True,
        network__gru_units=4,
        epochs=1,
        random_state=0,
    ).fit(frames[..., None] * 16, y[:12] % 2)
    distributed = [
        layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.TimeDistributed)
    ]
    assert [type(layer.layer).__name__ for layer in distributed] == ["Functional"]
    assert body_layers(clf.model_)[-1].name.startswith("gru")
    with pytest.raises(ValueError, match="application='MobileNet3' is not a model"):
        clf.set_params(network__application="MobileNet3").fit(frames, y[:12] % 2)


def _statistics_and_kernels(net):
    layers = [layer for layer in net.layers if layer.weights]
    norms = [layer for layer in layers if "BatchNorm" in type(layer).__name__]
    statistics = [w.numpy() for n in norms for w in (n.moving_mean, n.moving_variance)]
    return statistics, layers[0].get_weights()[0]


def test_unfreezing_leaves_batch_normalization_frozen(digits, mobilenet_weights):
    path, _ = mobilenet_weights
    images, params = _on_mobilenet(digits, path)
    clf = CNNClassifier(**params, freeze_body=True, warm_start=True)
    clf.fit(images, digits[1]).set_params(freeze_body=False).fit(images, digits[1])
    scratch = CNNClassifier(**params).fit(images, digits[1])
    saved = keras.applications.MobileNetV3Small(
        include_top=False, weights=path, input_shape=(32, 32, 3), minimalistic=True
    )
    in_file, kernel = _statistics_and_kernels(saved)
    for fit, kept in ((clf, True), (scratch, False)):
        backbone = fit.model_.get_layer("MobileNetV3Small")
        statistics, trained = _statistics_and_kernels(backbone)
        assert not np.array_equal(kernel, trained)  # the body trained
        same = [np.array_equal(a, b) for a, b in zip(in_file, statistics, strict=True)]
        # Unfrozen after a freeze: Keras' fine-tuning advice, the statistics
        # stay as in the file. Trained from the start: batches update them.
        assert all(same) if kept else not any(same)
    norms = [
        isinstance(layer, keras.layers.BatchNormalization)
        for layer in body_layers(clf.model_)
    ]
    trainable = [layer.trainable for layer in body_layers(clf.model_)]
    assert any(norms) and trainable == [not norm for norm in norms]
