"""照片证据 (photo evidence): untouched originals, derivatives, watermarks, storage and links."""
