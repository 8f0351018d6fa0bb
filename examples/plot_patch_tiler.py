"""
=======================================
What PatchTiler does to a photograph
=======================================

:class:`~skcnnrnn.PatchTiler` cuts an image into a row-major sequence of
patches and resizes each with OpenCV: the input of the CNN-GRU. Here a photo
that ships with scikit-learn is cut into a 3 x 4 grid of patches, each resized
to 64 x 64, and the sequence is shown in its order.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_sample_images

from skcnnrnn import PatchTiler

photo = load_sample_images().images[0]  # (427, 640, 3) uint8
tiler = PatchTiler(patch_size=(142, 160), output_size=(64, 64))
patches = tiler.fit_transform(photo[None])[0]  # (n_patches, 64, 64, 3) uint8
print(f"{tiler.n_rows_} rows x {tiler.n_cols_} columns = {tiler.n_patches_} patches")
print("output shape:", tiler.output_shape_)

# %%
# The photograph, with the patch grid drawn on it. Pixels beyond the last whole
# patch (here the bottom row of pixels) are dropped, as in the seed article.
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
ax.imshow(photo)
height, width = tiler.patch_size_
for row in range(tiler.n_rows_ + 1):
    ax.axhline(row * height, color="white", linewidth=1)
for col in range(tiler.n_cols_ + 1):
    ax.axvline(col * width, color="white", linewidth=1)
ax.set_title("patch grid")
ax.axis("off")

# %%
# The sequence: patch ``t = i * n_cols + j``, each resized to 64 x 64.
fig, axes = plt.subplots(
    tiler.n_rows_, tiler.n_cols_, figsize=(6, 4.4), layout="constrained"
)
for t, ax in enumerate(axes.ravel()):
    ax.imshow(patches[t])
    ax.set_title(f"t = {t}", fontsize=9)
    ax.axis("off")
fig.suptitle("PatchTiler output, in sequence order")
plt.show()
