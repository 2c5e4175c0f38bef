"""Places the children chose: validating them (``validation``), reading them (``reading``)
and writing them (``writing``); the shared places query with its filters (``query``),
moderation of comments (``moderation``) and the overview map's tiles (``tiles``)."""
