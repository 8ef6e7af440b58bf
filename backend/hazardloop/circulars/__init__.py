"""通报 (circulars): weekly, monthly and on-demand circulars per street, department or district."""
