"""群众举报 and 曝光台: the public channel, its triage, the exposure board and open data."""
