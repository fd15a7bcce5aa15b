"""Production static files: whitenoise's hashed URLs, each looked up once per process."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from motorneuron.storage import StaticFilesStorage

MANIFEST = {"css/app.css": "css/app.0123abcd.css", "js/keys.js": "js/keys.4567ef.js"}


@pytest.fixture
def static_root(tmp_path):
    manifest = {"version": "1.1", "hash": "0", "paths": MANIFEST}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return str(tmp_path)


def test_urls_are_the_hashed_ones_whitenoise_gives(static_root):
    ours = StaticFilesStorage(location=static_root, base_url="/static/")
    whitenoise = CompressedManifestStaticFilesStorage(location=static_root, base_url="/static/")
    for name, hashed in MANIFEST.items():
        assert ours.url(name) == whitenoise.url(name) == f"/static/{hashed}"


def test_a_url_is_looked_up_once(static_root):
    storage = StaticFilesStorage(location=static_root, base_url="/static/")
    first = storage.url("css/app.css")
    storage.hashed_files.clear()  # a second lookup in the manifest would now fail
    assert storage.url("css/app.css") == first


def test_a_name_missing_from_the_manifest_is_an_error_every_time(static_root):
    storage = StaticFilesStorage(location=static_root, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
