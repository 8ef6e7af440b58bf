"""Users, their role grants with scopes, login sessions and the one authorization policy."""
