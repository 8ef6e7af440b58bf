"""通报 drafts: weekly and monthly circulars per street or department, counted like the hazard list."""
