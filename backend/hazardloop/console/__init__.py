"""The supervisor console (监管驾驶舱): overview, overdue tracker, bulk actions, risk map, 挂牌督办 list, exports."""
