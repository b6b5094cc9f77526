"""Routes lined up through their hops: which routes long-poll and for how long (:mod:`.hold_specs`,
:mod:`.protocol_routes`), each route's chain edge → proxy → app server → client (:mod:`.chain`), and what logs say
about the timers found in configs (:mod:`.evidence`)."""
