"""风险分级管控 (risk points, assessment, computed four-colour levels with reasons)."""
