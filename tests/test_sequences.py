"""Images of different sizes all the way through: PaddedSequences, the
CNN-GRU's masking of padded steps, and the CNN's resizing to image_shape."""

import cv2
import numpy as np
import pytest
from sklearn.datasets import load_sample_images
from sklearn.pipeline import Pipeline

from skcnnrnn import (
    CNNClassifier,
    CNNGRUSequenceClassifier,
    CNNGRUSequenceRegressor,
    PaddedSequences,
    PatchTiler,
)

SIZES = [(40, 60), (20, 20), (45, 30), (60, 60), (20, 40), (40, 40)]


def photo_crops(sizes):
    """Crops of a real photograph at the given (height, width) sizes."""
    photo = load_sample_images().images[1]
    return [
        np.ascontiguousarray(photo[i : i + h, :w]) for i, (h, w) in enumerate(sizes)
    ]


@pytest.fixture(scope="module")
def photos():
    return photo_crops(SIZES * 3)


@pytest.fixture(scope="module")
def fitted(photos):
    """A tiler and a CNN-GRU fitted on images of six sizes (1 to 9 patches)."""
    y = np.arange(len(photos)) % 2
    pipe = Pipeline(
        [
            ("tile", PatchTiler(patch_size=20, output_size=8)),
            ("clf", CNNGRUSequenceClassifier(epochs=2, random_state=0)),
        ]
    )
    return pipe.fit(photos, y)


def test_patch_size_gives_each_image_its_own_number_of_patches(photos):
    tiler = PatchTiler(patch_size=20, output_size=8).fit(photos)
    tiles = tiler.transform(photos)

    assert isinstance(tiles, PaddedSequences) and tiler.n_patches_ is None
    assert tiles.lengths.tolist() == [6, 1, 2, 9, 2, 4] * 3
    padded = np.asarray(tiles)
    assert padded.shape == (18, 9, 8, 8, 3)
    for row, photo in enumerate(photos[:6]):
        alone = PatchTiler(patch_size=20, output_size=8).fit_transform(photo[None])
        length = tiles.lengths[row]
        np.testing.assert_array_equal(padded[row, :length], alone[0])
        assert not padded[row, length:].any()  # zeros after the end
    lazy = PatchTiler(patch_size=20, output_size=8, lazy=True).fit_transform(photos)
    assert lazy.lengths.tolist() == tiles.lengths.tolist()
    np.testing.assert_array_equal(np.asarray(lazy), padded)


def test_an_image_alone_gets_the_probabilities_it_gets_among_larger_ones(
    fitted, photos
):
    together = fitted.predict_proba(photos)
    alone = np.concatenate([fitted.predict_proba([photo]) for photo in photos])

    assert fitted[-1].variable_length_ and fitted[-1].input_shape_[0] == 9
    np.testing.assert_allclose(alone, together, atol=1e-5)
    # ...and the network does not ignore what is there: images differ.
    assert np.ptp(together[:, 0]) > 1e-3


def test_padding_is_found_by_lengths_not_by_its_values(fitted, photos):
    tiles = fitted[0].transform(photos)
    noisy = np.asarray(tiles).copy()
    for row, length in enumerate(tiles.lengths):
        noisy[row, length:] = 255
    got = fitted[-1].predict_proba(PaddedSequences(noisy, tiles.lengths))

    np.testing.assert_allclose(got, fitted[-1].predict_proba(tiles), atol=1e-6)


def test_per_step_labels_at_padded_steps_are_ignored(fitted, photos):
    tiles = fitted[0].transform(photos)
    rng = np.random.default_rng(0)
    labels = [rng.choice(["cat", "dog"], size=length) for length in tiles.lengths]
    padded = np.full(tiles.shape[:2], "pad", dtype=object)  # not a class
    other = np.full(tiles.shape[:2], "cat", dtype=object)
    for row, row_labels in enumerate(labels):
        padded[row, : len(row_labels)] = other[row, : len(row_labels)] = row_labels

    fits = [
        CNNGRUSequenceClassifier(epochs=2, random_state=0).fit(tiles, y)
        for y in (labels, padded, other)
    ]
    assert [f.classes_.tolist() for f in fits] == [["cat", "dog"]] * 3
    probas = [np.stack(f.predict_proba(tiles)) for f in fits]  # one per step
    assert probas[0].shape == (9, 18, 2)
    np.testing.assert_allclose(probas[1], probas[0], atol=1e-6)
    np.testing.assert_allclose(probas[2], probas[0], atol=1e-6)


def test_per_step_labels_must_match_the_lengths(fitted, photos):
    tiles = fitted[0].transform(photos)
    labels = [np.zeros(length) for length in tiles.lengths]
    labels[3] = np.zeros(2)
    with pytest.raises(ValueError, match=r"y\[3\] holds 2 per-step labels.*9 steps"):
        CNNGRUSequenceClassifier(epochs=1).fit(tiles, labels)


def test_sequences_longer_than_in_fit_or_padding_for_a_fixed_model_are_errors(
    fitted, photos
):
    big = photo_crops([(80, 80)])
    with pytest.raises(ValueError, match="up to 16 steps.*at most 9"):
        fitted.predict(big)

    same_size = np.stack(photo_crops([(40, 40)] * 4))
    fixed = Pipeline(
        [
            ("tile", PatchTiler(patch_size=20, output_size=8)),
            ("clf", CNNGRUSequenceClassifier(epochs=1, random_state=0)),
        ]
    ).fit(same_size, [0, 1, 0, 1])
    tiles = fitted[0].transform(photos)
    with pytest.raises(ValueError, match="padded sequences of different lengths"):
        fixed[-1].predict(
            PaddedSequences(np.asarray(tiles)[:, :4], [4, 1, 2, 4] * 4 + [4, 4])
        )


def my_body(inputs):
    import keras

    frames = keras.layers.TimeDistributed(keras.layers.Flatten())(inputs)
    return keras.layers.GRU(4)(frames)


def test_a_body_without_mask_is_an_error_naming_it(fitted, photos):
    tiles = fitted[0].transform(photos)
    clf = CNNGRUSequenceClassifier(network=my_body, epochs=1)
    with pytest.raises(ValueError, match="my_body.*takes no mask="):
        clf.fit(tiles, np.arange(18) % 2)
    assert not hasattr(clf, "model_")


def test_a_list_of_sequences_of_different_lengths_is_padded():
    rng = np.random.default_rng(1)
    sequences = [rng.random((n, 4, 4, 1), dtype=np.float32) for n in [3, 5, 2, 4] * 3]
    y = rng.random(12)
    reg = CNNGRUSequenceRegressor(epochs=1, random_state=0).fit(sequences, y)

    assert reg.variable_length_ and reg.input_shape_ == (5, 4, 4, 1)
    together = reg.predict(sequences)
    alone = np.concatenate([reg.predict([s]) for s in sequences])
    np.testing.assert_allclose(alone, together, atol=1e-5)
    with pytest.raises(ValueError, match=r"X\[1\] \(4, 3, 4, 1\).*first axis"):
        reg.predict([sequences[0], rng.random((4, 3, 4, 1))])


def test_the_saved_masked_network_loads_in_keras_and_reads_nan_padding(
    fitted, photos, tmp_path
):
    import keras

    path = tmp_path / "net.keras"
    fitted[-1].model_.save(path)
    loaded = keras.saving.load_model(path)
    tiles = fitted[0].transform(photos)
    nan_padded = np.asarray(tiles, dtype=np.float32)
    for row, length in enumerate(tiles.lengths):
        nan_padded[row, length:] = np.nan

    np.testing.assert_allclose(
        loaded.predict(nan_padded, verbose=0)["target"],
        fitted.predict_proba(photos),
        atol=1e-5,
    )


def test_cnn_resizes_images_of_different_sizes_to_image_shape(photos):
    y = np.arange(len(photos)) % 2
    clf = CNNClassifier(epochs=1, image_shape=(16, 16, 3), random_state=0)
    clf.fit(photos, y)

    resized = np.stack(
        [cv2.resize(p, (16, 16), interpolation=cv2.INTER_AREA) for p in photos]
    )
    np.testing.assert_allclose(clf.predict_proba(photos), clf.predict_proba(resized))
    with pytest.raises(ValueError, match=r"image_shape=\(height, width, 3\)"):
        CNNClassifier(epochs=1).fit(photos, y)


def test_padded_sequences_check_their_lengths():
    values = np.zeros((2, 3, 4, 4, 1))
    with pytest.raises(ValueError, match="between 1 and 3 steps"):
        PaddedSequences(values, [4, 1])
    with pytest.raises(ValueError, match="between 1 and 3 steps"):
        PaddedSequences(values, [0, 1])
    assert np.asarray(PaddedSequences(values, [3, 1])[[1]]).shape == (1, 3, 4, 4, 1)


def test_tilers_fitted_on_any_size_and_padded_sequences_pickle(fitted, photos):
    import pickle

    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(
        again.predict_proba(photos), fitted.predict_proba(photos), atol=1e-6
    )
    grid = PatchTiler(grid=(2, 3), output_size=5).fit(photos)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(grid)).transform(photos), grid.transform(photos)
    )
    tiles = fitted[0].transform(photos)
    copy = pickle.loads(pickle.dumps(tiles))
    assert copy.lengths.tolist() == tiles.lengths.tolist()
    np.testing.assert_array_equal(np.asarray(copy), np.asarray(tiles))
