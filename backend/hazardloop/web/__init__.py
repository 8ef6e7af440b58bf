"""The built field app (pwa/dist), served at / with a fallback to index.html for app routes."""
