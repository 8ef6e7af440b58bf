"""黑名单 (失信惩戒): candidates from the escalation ladder through review, approval, publication and removal."""
