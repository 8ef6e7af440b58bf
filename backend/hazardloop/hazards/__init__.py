"""Hazards (隐患) and their closed loop: 暗访 → 曝光 → 交办 → 整改 → 闭环 → 通报."""
