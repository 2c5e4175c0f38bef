"""Consistent perturbation of published counts: the cell-key method of statistics offices
(the Australian Bureau of Statistics' TableBuilder, the UK's Office for National Statistics).

Every place and every mapping session has a secret record key (``stat_key``, a random
integer in [0, 2^31) set once by the database; never shown, sent or exported). A report's
counts are sums of *atoms*, fixed sets of records (aggregate.py says which). An atom's
count is published as its true count plus a noise of -1, 0 or +1 (probabilities 1/4,
1/2, 1/4: unbiased), looked up from the sum of its records' keys: the same records always
move the same way, in every table and every report, so asking again or asking
differently averages nothing away.

Each measure (places, children's choices, sessions, children present) reads its own
"digit" of the key sum: the sum times an odd constant, modulo 2^32, and the top two
bits of that choose the noise. Two measures of one atom then move independently (a
plain offset per measure would tie them: with an offset of 1/2, "places unchanged"
would mean "children changed"). Integer arithmetic keeps it exact whatever order
PostgreSQL adds the keys in.
"""

from __future__ import annotations

MODULUS = 2**32
MULTIPLIERS = {  # odd constants below 2^31, so that (sum mod 2^32) * constant fits a bigint
    "places": 0x5BD1E995,
    "children": 0x27D4EB2D,
    "sessions": 0x165667B1,
    "present": 0x61C88647,
}


def noise_sql(key_sum: str, measure: str) -> str:
    """SQL for the noise (-1, 0 or +1) of an atom whose records' keys add up to the
    bigint expression ``key_sum`` (a fixed expression of this package, never user input)."""
    lookup = f"(({key_sum}) % {MODULUS} * {MULTIPLIERS[measure]} % {MODULUS})"
    return (f"(CASE WHEN {lookup} < {MODULUS // 4} THEN -1 "
            f"WHEN {lookup} >= {3 * MODULUS // 4} THEN 1 ELSE 0 END)")
