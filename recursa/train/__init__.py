"""Training and evaluation of the reasoner and the transformer baseline (see :mod:`recursa.train.trainer`)."""
