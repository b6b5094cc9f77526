"""Config dialects: each reads one proxy's (or platform's) configuration into hops
(:class:`~lpdoctor.model.hops.HopFacts`) that say which block serves a route and with which timers, each with
its file:line. :mod:`.base` holds what they share (the :class:`~lpdoctor.dialects.base.RoutedSource` adapter,
timer helpers, the line-numbered YAML tree); :mod:`.registry` dispatches a file to its dialect by content.
nginx and Sōzune are subpackages (config, matching, their ``ProxySource`` adapter); the others are one module each."""
