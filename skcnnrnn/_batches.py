"""What ``model.fit`` reads: :class:`Batches` of the network inputs, read
and converted to floats a batch (or a chunk of small batches) at a time, and
on TensorFlow the ``tf.data`` pipeline over them (:func:`fit_input`).
"""

import numpy as np

from ._keras import keras, on_tensorflow

# Inputs per chunk of batches that the tf.data pipeline reads in one call.
_CHUNK_BYTES = 1 << 20
# Inputs up to this many values are predicted in one call; larger inputs in
# chunks of about this size, bounding the memory of the activations.
_PREDICT_CHUNK_VALUES = 2**22


def outputs_in_chunks(model, inputs, rows, dtype):
    """The network's outputs for ``inputs[rows]`` (all rows for None), a
    dict of arrays by output name, converted and predicted chunk by chunk.

    ``predict_on_batch`` skips ``Model.predict``'s per-call dataset and
    callback set-up, which dominates the latency of small inputs; a
    memory-mapped input is never copied whole.
    """
    n_rows = len(inputs) if rows is None else len(rows)
    chunk = max(1, _PREDICT_CHUNK_VALUES // int(np.prod(inputs.shape[1:])))
    parts = []
    for start in range(0, n_rows, chunk):
        at = slice(start, start + chunk)
        part = inputs[at] if rows is None else inputs[rows[at]]
        parts.append(model.predict_on_batch(np.asarray(part, dtype=dtype)))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def one_pipeline(distribution):
    """Whether ``model.fit`` reads ``Batches`` through a ``tf.data`` pipeline
    of ours (on TensorFlow without a distribution strategy)."""
    return on_tensorflow() and distribution is None


def fit_input(batches, distribution, epochs=1):
    """What ``model.fit`` reads ``batches`` from, and its ``steps_per_epoch``.

    On TensorFlow, a ``tf.data`` pipeline of ``epochs`` epochs of them with
    a one-batch prefetch, and the steps of one epoch; on other backends and
    with a distribution strategy, ``batches`` itself and None.

    The pipeline reads a chunk of batches per call into Python (see
    ``Batches.chunks`` and ``_ChunkReader``): each such call from
    ``tf.data`` costs about 0.3 ms and takes the interpreter lock from the
    training loop, which made workload B of ``benchmarks/peers.py`` about
    0.3 s slower over its 570 batches than batches already in memory.

    Keras reads a ``PyDataset`` on TensorFlow through ``tf.data`` with an
    autotuned prefetch buffer. On a two-core CPU the autotuner stalled the
    first step of one to five epochs in twelve by about 0.3 s (the CNN and
    CNN-GRU of ``benchmarks/peers.py``; a 10-epoch CNN fit took 3.4 s instead
    of 4.5 s without it). One batch ahead is all a training step needs of a
    source read one batch at a time; the batches and their order are Keras'
    own (see ``Batches.chunks``). One pipeline serves every training epoch:
    starting it again for each epoch cost every epoch's first step about
    15 ms, and 0.25-0.35 s over 10 epochs of the CNN or the CNN-GRU of
    ``peers.py`` (later fits in a process). Keras starts the validation
    pipeline again for every evaluation (``evaluate`` resets its iterator),
    so that one holds one epoch. Keras keeps a pipeline's iterator from
    epoch to epoch only when told the steps per epoch (``EpochIterator``),
    hence the second value. Under a distribution strategy Keras builds
    the network from a first batch of the pipeline, which would take a
    shuffle of its own: there Keras reads ``batches`` as it always has.
    """
    if batches is None or not one_pipeline(distribution):
        return batches, None
    import tensorflow as tf

    first = batches[0]
    specs = [(part.dtype, part.shape[1:]) for part in keras.tree.flatten(first)]
    reader = _ChunkReader(batches, epochs, specs)

    @tf.autograph.experimental.do_not_convert
    def read(index):
        dtypes = [tf.as_dtype(dtype) for dtype, _ in specs]
        parts = tf.numpy_function(reader, [index], dtypes)
        for part, (_, shape) in zip(parts, specs, strict=True):
            part.set_shape((None, None, *shape))
        return keras.tree.pack_sequence_as(first, parts)

    dataset = tf.data.Dataset.range(reader.count).map(read).unbatch()
    options = tf.data.Options()
    options.autotune.enabled = False
    count = len(batches) * epochs
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(count))
    return dataset.prefetch(1).with_options(options), len(batches)


class _ChunkReader:
    """:meth:`Batches.chunks` as a function of the chunk's index, flattened,
    for ``tf.numpy_function``.

    Not ``tf.data.Dataset.from_generator``: the first time a generator
    pipeline runs, TensorFlow 2.21 sets glibc's ``M_TRIM_THRESHOLD`` for the
    whole process ("Memory patch applied", ``generator_dataset_op.cc``),
    which also stops glibc from raising its ``mmap`` threshold: from then
    on every NumPy array of 128 KiB or more is a fresh ``mmap``, and filling
    new 2 MiB arrays took 7x as long, in the user's code too. The pipeline
    reads chunks in order, one at a time (a ``map`` without parallel
    calls), and each new iterator starts again at index 0.
    """

    def __init__(self, batches, epochs, specs):
        self.batches, self.epochs, self.specs = batches, epochs, specs
        self.count = len(batches.chunk_starts()) * epochs
        self.chunks = iter(())

    def __call__(self, index):
        if index == 0:  # a new iterator: Keras' validation, every epoch
            self.chunks = self.batches.chunks(self.epochs)
        chunk = next(self.chunks, None)
        if chunk is None:  # released: training stopped early
            return [np.empty((0, 0, *shape), dtype) for dtype, shape in self.specs]
        return keras.tree.flatten(chunk)


class Batches(keras.utils.PyDataset):
    """Batches of ``source[rows]`` read and converted one at a time.

    ``y`` and ``weights`` are dicts of arrays, one per output (``weights``,
    float32, may be None). Only the current batch (or chunk of batches: at
    most 16, and about ``_CHUNK_BYTES`` unless one batch is larger) is ever
    in memory as floats, so a memory map or lazy tiles are never read whole.
    Rows within a batch are read in order. ``shuffle_seed`` (an int, None for
    unseeded, False for no shuffling) reshuffles the rows before every epoch.
    """

    def __init__(self, source, rows, y, weights, batch_size, dtype, shuffle_seed=False):
        super().__init__()
        self.source, self.rows, self.y, self.weights = source, rows, y, weights
        self.batch_size, self.dtype = batch_size, dtype
        self.shuffle = shuffle_seed is not False
        self.rng = np.random.default_rng(shuffle_seed if self.shuffle else None)
        self.order = np.arange(len(rows))
        if self.shuffle:
            self.rng.shuffle(self.order)

    def __len__(self):
        return -(-len(self.rows) // self.batch_size)

    def __getitem__(self, index):
        return self._read(self._positions(index))

    def _positions(self, index):
        """Positions in ``rows`` of batch ``index``, in the order read."""
        # The short batch (if any) comes first: Keras reads the batch shape
        # off the first two batches (NUM_BATCHES_FOR_TENSOR_SPEC), so with
        # two sizes there it traces the network once for any batch size;
        # a short last batch would cost TensorFlow a second trace (~0.6 s).
        offset = -len(self.rows) % self.batch_size
        start = max(0, index * self.batch_size - offset)
        stop = (index + 1) * self.batch_size - offset
        batch = self.order[start:stop]
        return batch[np.argsort(self.rows[batch])]  # read the source in order

    def _read(self, batch):
        x = np.asarray(self.source[self.rows[batch]], dtype=self.dtype)
        y = {key: values[batch] for key, values in self.y.items()}
        if self.weights is None:
            return x, y
        return x, y, {key: values[batch] for key, values in self.weights.items()}

    def on_epoch_end(self):
        if self.shuffle:
            self.rng.shuffle(self.order)

    def skip_epochs(self, count):
        """Shuffle as ``count`` epochs would have: a resumed fit (checkpoint)
        then reads the batches its interrupted fit would have read."""
        for _ in range(count):
            self.on_epoch_end()

    def chunks(self, count):
        """The batches of ``count`` epochs, stacked: every part of a chunk
        has a leading axis of batches.

        The order Keras reads a ``PyDataset`` in, on every backend: the rows
        reshuffled before every epoch (the first too, ``EpochIterator.reset``),
        then the batches in index order.

        A chunk holds batches of one size and up to about ``_CHUNK_BYTES``
        of inputs, read from the source in one call. Ends early, and quietly,
        once :meth:`release` has run: when training stops early, the
        pipeline may be reading ahead as ``train`` releases the data, and an
        error here would be printed by TensorFlow.
        """
        try:
            starts = self.chunk_starts()
            for _ in range(count):
                self.on_epoch_end()
                for start, stop in zip(starts, [*starts[1:], len(self)], strict=True):
                    positions = [self._positions(i) for i in range(start, stop)]
                    parts = self._read(np.concatenate(positions))
                    yield keras.tree.map_structure(
                        lambda a, m=stop - start: a.reshape(m, -1, *a.shape[1:]),
                        parts,
                    )
        except Exception:
            if self.source is not None:
                raise

    def chunk_starts(self):
        """The first batch of each chunk of an epoch (see :meth:`chunks`)."""
        row_bytes = np.prod(self.source.shape[1:]) * np.dtype(self.dtype).itemsize
        chunk = _CHUNK_BYTES // (row_bytes * self.batch_size)
        per_chunk = int(np.clip(chunk, 1, 16))
        short = len(self.rows) % self.batch_size != 0  # batch 0, on its own
        return [0] * short + list(range(int(short), len(self), per_chunk))

    def release(self):
        """Drop the data, once training is over.

        TensorFlow keeps the Python function of every ``tf.data`` pipeline
        that calls into Python (``fit_input``'s ``numpy_function``, still
        alive after the estimator is deleted, or the generator pipeline Keras
        builds from a ``PyDataset``, tensorflow/tensorflow#37653) after
        ``fit`` returns, and with it this object: without
        this, every fit (every ``partial_fit`` call) would pin its training
        data, 8 MiB per call for 8 MiB chunks in our measurement.
        """
        self.source = self.rows = self.y = self.weights = self.order = None
