"""The children hear back (issue 15): what became of a preschool's places, told with
pictures, big type and sound. Flask-free: functions take a Session and plain values;
the pages are in smultron/web/feedback.py."""
