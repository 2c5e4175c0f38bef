"""The tablet's offline photos (tests/test_photos_browser.py) synced into the object store:
the same Playwright journey with the app's photos in the real S3 server of
tests/test_photos_s3.py, whose fixtures check after it that the bucket holds exactly the
objects of the rows (the place's two photos, once)."""

from __future__ import annotations

import pytest

from tests import test_photos_browser as browser_tests
from tests import test_photos_s3 as s3_tests

pytestmark = pytest.mark.browser

app, prefix, consistent = s3_tests.app, s3_tests.prefix, s3_tests.consistent
browser_context_args = browser_tests.browser_context_args
test_offline_place_with_two_photos_reload_online_stored_exactly_once = (
    browser_tests.test_offline_place_with_two_photos_reload_online_stored_exactly_once)
