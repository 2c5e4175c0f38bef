"""Preschools: the admin's editing rules, the import from files and the orientation map."""
