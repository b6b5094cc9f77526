"""Analysis: long-poll detection, cut-off inference and chain checks, over the model."""
