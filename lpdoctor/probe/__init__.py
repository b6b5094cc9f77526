"""``lpdoctor probe``: live long-poll requests (:mod:`.transport`) measured into the model and searched for the
cut (:mod:`.analysis`)."""
