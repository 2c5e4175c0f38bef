"""Administration (no Flask here): preschools, campaigns, users, categories,
retention, the audit log viewer and the public page texts.

Every function takes a SQLAlchemy Session and plain values. Validation errors
are :class:`smultron.admin.problems.Invalid`: a list of translatable problems,
each naming the form field it belongs to.
"""
