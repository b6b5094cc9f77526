"""``lpdoctor probe``: what to ask for (:mod:`.target`), live requests recorded byte by byte (:mod:`.transport`)
into measurements (:mod:`.measurement`), the search for the cut and which hop made it (:mod:`.analysis`), and
the report with its findings (:mod:`.report`)."""
