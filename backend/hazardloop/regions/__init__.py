"""The region tree (区 → 街道/园区 → 社区 → 网格) and the supervising departments."""
