"""系统管理 (administration): users and their sessions, the region tree with grid boundaries, departments."""
