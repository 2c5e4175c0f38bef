"""Infrastructure every part uses: configuration, the database and its migrations,
the embedded PostGIS, translations, errors and messages, passwords, geometry
helpers, settings, access rules and the audit log."""
