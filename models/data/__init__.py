"""Data on the training device: sources that load whole data sets as uint8 tensors, the discrete
augmentation views the student and teacher share, and the Lightning data module."""
