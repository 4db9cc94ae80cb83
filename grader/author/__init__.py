"""The contributor's tools: ``stubgen`` (solutions/ -> exercises/), ``mistakes`` (the registry
behind mistakes/, wrong implementations the tests must reject) and ``verify`` (``kata verify``)."""
