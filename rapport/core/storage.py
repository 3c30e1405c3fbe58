from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files; falls back to plain names before collectstatic has run
    (tests, a development checkout), so a missing manifest never breaks a page."""

    manifest_strict = False
