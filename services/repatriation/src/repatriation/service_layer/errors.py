"""Refusals of the service layer (beyond the domain's own `ManifestError`s)."""

from __future__ import annotations

import uuid

from puebla.refusals import NotVisible


class UnknownManifest(NotVisible):
    """No manifest with this id. The API answers 404, exactly as for one the caller may not see
    (`NotVisible`); a consumer records the event as rejected for good."""

    def __init__(self, manifest_id: uuid.UUID) -> None:
        super().__init__("The manifest")
        self.manifest_id = manifest_id
