"""Reading logs into one aggregate and finding cut-offs in it: routes (:mod:`.routes`), the bounded, mergeable
aggregate (:mod:`.aggregate`), walls and ceilings (:mod:`.cutoff`), the read pipeline (:mod:`.pipeline`, with the
compiled fast path :mod:`.fastpath` and its C scanner, and :mod:`.parallel` across cores), and the scan report
(:mod:`.report`)."""
